"""The study design (as in Khan et al. 2024 and Michael et al. 2023): each item judged by N different judges, a judge
sees a question at most once across protocols, answer positions counterbalanced, assignment balanced and random.

    plan = assign(items, judges=12, per_item=2, seed=0)   # [(judge slot, item id, swap, queue position), ...]

Items are taken question by question in a seeded random order; each of a question's items (one per protocol) goes
to the N judges with the fewest items so far among those who have not seen the question (ties broken at random), so
judge loads differ by at most a few items. Within an item, `swap` alternates over its judges (starting at random), so
the correct answer is shown as A to half of them. Each judge's queue is shuffled with the same seed.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..errors import ConfigError


def assign(items: list[dict], *, judges: int, per_item: int, seed: int = 0) -> list[tuple[int, str, bool, int]]:
    """(judge slot 1..judges, item id, swap, position in the judge's queue) for every judging of the design."""
    by_q: dict[str, list[dict]] = defaultdict(list)
    for it in items:
        by_q[it["question_id"]].append(it)
    widest = max((len(v) for v in by_q.values()), default=0)
    if widest * per_item > judges:
        raise ConfigError(f"study.toml: judges: {judges} judge slots cannot judge a question shown under {widest} "
                          f"protocols {per_item} times each without a judge seeing it twice; need at least "
                          f"{widest * per_item}")
    rng = np.random.default_rng(seed)
    load = np.zeros(judges, dtype=np.int64)
    out: list[tuple[int, str, bool]] = []
    for qi in rng.permutation(len(by_q)):
        qid = list(by_q)[qi]
        free = np.ones(judges, dtype=bool)
        for it in sorted(by_q[qid], key=lambda it: it["id"]):
            cand = np.flatnonzero(free)
            order = cand[np.lexsort((rng.random(len(cand)), load[cand]))][:per_item]
            start = int(rng.integers(0, 2))
            for n, j in enumerate(order):
                out.append((int(j) + 1, it["id"], bool((n + start) % 2), 0))
                free[j] = False
                load[j] += 1
    queues: dict[int, list[tuple[int, str, bool, int]]] = defaultdict(list)
    for j, item, swap, _ in out:
        queues[j].append((j, item, swap, 0))
    final = []
    for j in sorted(queues):
        q = queues[j]
        for pos, k in enumerate(rng.permutation(len(q))):
            final.append((j, q[k][1], q[k][2], pos))
    return final
