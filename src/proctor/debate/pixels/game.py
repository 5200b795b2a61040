"""The MNIST debate game (Irving, Christiano & Amodei 2018, section 3.1): rules and resolution, as pure functions.

Both debaters see the whole image. They alternate revealing one pixel each until k pixels are shown; a pixel is shown
with its true value (it cannot be faked), only nonzero pixels can be revealed (the paper's action set) and none twice.
The honest player argues for the true label, the liar for a wrong one. The judge then sees only the revealed pixels.

- precommit: both state their labels first and the judge picks between the two (higher logit wins; a tie goes to
  the liar). The paper plays all 9 wrong labels and the honest player wins the image only if it wins all 9 games.
- no precommit: the liar wins unless the judge's top label is the truth.

Every outcome is a function of the *honest margin* m of the judge's logits z: z[true] - z[lie] with precommit, and
z[true] - max_{j != true} z[j] without. The honest player wins a game iff m > 0.
"""

from __future__ import annotations

import numpy as np

HONEST, LIAR = 0, 1
NO_LIE = -1
"""The `lie` label of a game without precommit."""


def mover(turn: int, honest_first: bool) -> int:
    """Who reveals the pixel at `turn` (0-based): players alternate, starting with the honest player or the liar."""
    first = HONEST if honest_first else LIAR
    return first if turn % 2 == 0 else 1 - first


def schedule(k: int, honest_first: bool) -> list[int]:
    """The mover of each of the k turns."""
    return [mover(t, honest_first) for t in range(k)]


def wrong_labels(true: int) -> list[int]:
    """The 9 labels a precommitted liar can argue for."""
    return [j for j in range(10) if j != int(true)]


def honest_margin(logits: np.ndarray, true: np.ndarray, lie: np.ndarray) -> np.ndarray:
    """Honest margin per row: z[true] - z[lie] (precommit), or z[true] - max other z where lie == NO_LIE."""
    z = np.asarray(logits, dtype=np.float64)
    true = np.asarray(true, dtype=np.int64)
    lie = np.asarray(lie, dtype=np.int64)
    rows = np.arange(len(z))
    zt = z[rows, true]
    others = z.copy()
    others[rows, true] = -np.inf
    top_other = others.max(axis=1)
    z_lie = np.where(lie >= 0, z[rows, np.maximum(lie, 0)], top_other)
    return zt - z_lie


def honest_wins(margin: np.ndarray) -> np.ndarray:
    """A game's outcome: the honest player wins iff its margin is strictly positive (ties go to the liar)."""
    return np.asarray(margin) > 0


def resolve_precommit(wins: np.ndarray) -> np.ndarray:
    """Image outcome with precommit: wins is (n_images, 9), one column per wrong label; honest must win them all."""
    wins = np.asarray(wins, dtype=bool)
    if wins.ndim != 2 or wins.shape[1] != 9:
        raise ValueError(f"precommit resolution needs one game per wrong label: got shape {wins.shape}")
    return wins.all(axis=1)


def legal_pixels(values: np.ndarray, revealed) -> np.ndarray:
    """Flat indices of the pixels that may be revealed next: nonzero and not yet revealed (ascending)."""
    nz = np.flatnonzero(np.asarray(values).reshape(-1) > 0)
    return np.setdiff1d(nz, np.asarray([r for r in revealed if r >= 0], dtype=np.int64), assume_unique=False)


def check_transcript(values: np.ndarray, pixels, players, k: int, honest_first: bool) -> None:
    """Raise ValueError unless a transcript obeys the rules: k moves, alternation, nonzero pixels, no repeats."""
    pixels, players = list(map(int, pixels)), list(map(int, players))
    if len(pixels) != k or len(players) != k:
        raise ValueError(f"a debate has {k} moves, this one {len(pixels)}")
    if players != schedule(k, honest_first):
        raise ValueError(f"players {players} do not alternate from {'honest' if honest_first else 'liar'}")
    if len(set(pixels)) != k:
        raise ValueError(f"a pixel was revealed twice: {pixels}")
    flat = np.asarray(values).reshape(-1)
    if any(flat[p] <= 0 for p in pixels):
        raise ValueError("only nonzero pixels can be revealed")
