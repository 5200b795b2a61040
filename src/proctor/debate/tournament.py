"""Cross-play tournaments between debater configurations: every ordered pair debates every question, the judge's
verdicts are the games, and Bradley-Terry / Elo (elo.py) measures persuasiveness (Khan et al. 2024, Sec. 4).

Playing both orders (X as debater A and as debater B) with positions swapped across samples means each debater
argues for the correct and the incorrect answer equally often, from both positions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .data import DebateItem
from .elo import elo_ratings, games_from_records
from .judged import run_protocol
from .metrics import summarize_records
from .protocols import ProtocolConfig


def run_tournament(items: Sequence[DebateItem], players: Mapping[str, Any], judge: Any, *, rounds: int = 1,
                   log_dir: str | None = None, config=None, seed: int = 0) -> dict:
    """{"elo": {name: {...}}, "matches": [...], "games": n, "records": [...]} over all ordered pairs of `players`;
    `records` are the judged debates, each with the players' names (`debater_a`, `debater_b`)."""
    games, matches, records = [], [], []
    names = list(players)
    for a in names:
        for b in names:
            if a == b:
                continue
            recs, _ = run_protocol(items, ProtocolConfig("debate", rounds=rounds),
                                   {"debater_a": players[a], "debater_b": players[b], "judge": judge},
                                   log_dir=log_dir, config=config)
            records += [r | {"debater_a": a, "debater_b": b, "roles": {"judge": judge if isinstance(judge, str)
                                                                         else str(judge)}} for r in recs]
            g = games_from_records(recs, a, b)
            games += g
            s = summarize_records(recs)
            matches.append({"debater_a": a, "debater_b": b, "a_wins": sum(1 for w, _ in g if w == a),
                            "games": len(g), "invalid": s["invalid"], "failed": s["failed"],
                            "judge_accuracy": s["accuracy"]})
    return {"elo": elo_ratings(games, names, seed=seed), "matches": matches, "games": len(games),
            "records": records}
