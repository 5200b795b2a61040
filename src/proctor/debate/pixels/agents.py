"""Debaters for the MNIST debate game: greedy and Monte Carlo tree search, both batched over many games.

Games run in lockstep (a `Games` batch: same k and order, any images and labels), so every judge call is one batched
forward pass. The judge's verdict depends only on the *set* of revealed pixels, so `Evaluator` caches logits by
(image, sorted pixels): the 9 precommit games of an image share their evaluations.

- greedy: reveal the pixel whose one-step-ahead judge margin is best for the mover.
- MCTS (the paper's debaters): pure MCTS with PUCT selection, U(s,a) = Q(s,a) + c P(s,a) sqrt(1 + N(s)) / (1 + N(s,a))
  with uniform priors P = 1 / #legal pixels (Irving et al. 2018, after Silver et al. 2017); each rollout descends
  to a leaf and evaluates it with the judge: a finished debate scores +-1 (who won), an unfinished one
  tanh(m / 2) of the judge's honest margin m on the pixels shown so far. Unvisited actions take the parent's
  value (first-play urgency). After R rollouts the mover reveals the most visited pixel.

  Deviation (root_eval, on by default): before the rollouts, every legal pixel at the root is judged once in one
  batched call and enters the search as one visit with that value, so MCTS starts from the greedy choice and the
  R rollouts look further ahead. The paper's 10k uniform-prior rollouts per move are ~2e9 judge calls for the
  2,000-image precommit table (~20 CPU-hours at 30k judge forwards/s per core); with R in the hundreds, about
  one rollout per legal pixel (~150), uniform priors give each root pixel about one visit, nothing is searched in
  depth and the search plays close to randomly (measured: docs, "pure MCTS").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .game import HONEST, honest_margin, mover


@dataclass
class Games:
    """A batch of debates played in lockstep."""

    image_id: np.ndarray
    """(G,) row of each game's image in `values` (also the cache key)."""
    values: np.ndarray
    """(n_images, 784) float32 intensities in [0, 1], shared by the batch."""
    true: np.ndarray
    """(G,) true labels (the honest player's claim)."""
    lie: np.ndarray
    """(G,) the liar's precommitted label, or -1 (no precommit)."""
    k: int
    honest_first: bool
    cand: np.ndarray = field(init=False)
    """(G, A) each game's nonzero pixels (ascending), padded with -1."""
    revealed: np.ndarray = field(init=False)
    """(G, k) revealed pixels in order, -1 for moves not yet made."""

    def __post_init__(self):
        nz = self.values[self.image_id] > 0
        counts = nz.sum(1)
        if counts.min(initial=self.k) < self.k:
            raise ValueError(f"an image has fewer than {self.k} nonzero pixels")
        a = int(counts.max(initial=0))
        order = np.argsort(~nz, axis=1, kind="stable")[:, :a]
        self.cand = np.where(np.take_along_axis(nz, order, 1), order, -1).astype(np.int64)
        self.revealed = np.full((len(self.image_id), self.k), -1, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.image_id)

    def available(self, turn: int) -> np.ndarray:
        """(G, A) bool: candidate pixels not yet revealed before `turn`."""
        valid = self.cand >= 0
        if turn == 0:
            return valid
        return valid & ~(self.cand[:, :, None] == self.revealed[:, None, :turn]).any(-1)


class Evaluator:
    """The judge behind a cache keyed by (image, set of revealed pixels); counts forward passes."""

    def __init__(self, judge, values: np.ndarray, cache: bool = True):
        self.judge, self.values, self.use_cache = judge, values, cache
        self.cache: dict[tuple, np.ndarray] = {}
        self.forwards = 0
        self.queries = 0

    def logits(self, image_id: np.ndarray, pixels: np.ndarray) -> np.ndarray:
        """(M, 10) judge logits for M boards: image rows and (M, m) revealed pixels (-1 = none)."""
        from .judge import encode_reveals, judge_logits

        m = len(image_id)
        self.queries += m
        out = np.empty((m, 10), dtype=np.float32)
        if not self.use_cache:
            self.forwards += m
            out[:] = judge_logits(self.judge, encode_reveals(self.values[image_id], pixels))
            return out
        srt = np.sort(pixels, axis=1)
        keys = [(i, r.tobytes()) for i, r in zip(image_id.tolist(), srt)]
        miss = []
        for j, key in enumerate(keys):
            hit = self.cache.get(key)
            if hit is None:
                miss.append(j)
            else:
                out[j] = hit
        if miss:
            miss_idx = np.asarray(miss)
            # duplicates within one call are evaluated once
            uniq: dict[tuple, int] = {}
            first = [uniq.setdefault(keys[j], len(uniq)) for j in miss]
            rows = miss_idx[np.unique(np.asarray(first), return_index=True)[1]]
            z = judge_logits(self.judge, encode_reveals(self.values[image_id[rows]], pixels[rows]))
            self.forwards += len(rows)
            out[miss_idx] = z[np.asarray(first)]
            for j, zi in zip(rows.tolist(), z):
                self.cache[keys[j]] = zi
        return out

    def margins(self, games: Games, rows: np.ndarray, pixels: np.ndarray) -> np.ndarray:
        z = self.logits(games.image_id[rows], pixels)
        return honest_margin(z, games.true[rows], games.lie[rows])


class GreedyAgent:
    """Reveal the pixel that most improves the mover's judge margin one step ahead (ties broken at random)."""

    name = "greedy"

    def choose(self, games: Games, turn: int, ev: Evaluator, rng: np.random.Generator) -> np.ndarray:
        avail = games.available(turn)
        rows, cols = np.nonzero(avail)
        pix = np.concatenate([games.revealed[rows, :turn], games.cand[rows, cols][:, None]], axis=1)
        m = ev.margins(games, rows, pix)
        sign = 1.0 if mover(turn, games.honest_first) == HONEST else -1.0
        score = np.full(avail.shape, -np.inf)
        score[rows, cols] = sign * m + rng.random(len(rows)) * 1e-9
        return games.cand[np.arange(len(games)), score.argmax(1)]


class MCTSAgent:
    """Pure MCTS with PUCT and judge evaluation at the leaves, run on every game of a batch in lockstep."""

    name = "mcts"

    def __init__(self, rollouts: int = 100, c_puct: float = 1.0, root_eval: bool = True,
                 max_cells: int = 20_000_000):
        if rollouts < 1:
            raise ValueError("MCTS needs at least one rollout")
        self.rollouts, self.c_puct, self.root_eval, self.max_cells = rollouts, c_puct, root_eval, max_cells

    def choose(self, games: Games, turn: int, ev: Evaluator, rng: np.random.Generator) -> np.ndarray:
        g, a = games.cand.shape
        step = max(1, self.max_cells // ((self.rollouts + 1) * max(a, 1)))  # bound the tree arrays' memory
        return np.concatenate([self._search(games, np.arange(i, min(i + step, g)), turn, ev, rng)
                               for i in range(0, g, step)])

    def _leaf_values(self, games, rows, pixels, terminal, ev) -> np.ndarray:
        m = ev.margins(games, rows, pixels)
        return np.where(terminal, np.where(m > 0, 1.0, -1.0), np.tanh(m / 2)).astype(np.float32)

    def _search(self, games: Games, rows: np.ndarray, turn: int, ev: Evaluator, rng) -> np.ndarray:
        G, D, R = len(rows), games.k - turn, self.rollouts
        cand = games.cand[rows]
        A = cand.shape[1]
        revealed = games.revealed[rows, :turn]
        base = games.available(turn)[rows]
        sign = np.array([1.0 if mover(turn + d, games.honest_first) == HONEST else -1.0 for d in range(D)],
                        dtype=np.float32)
        child = np.full((G, R + 1, A), -1, dtype=np.int32)
        visits = np.zeros((G, R + 1, A), dtype=np.float32)
        total = np.zeros((G, R + 1, A), dtype=np.float32)  # sum of values, from the node's mover's view
        value = np.zeros((G, R + 1), dtype=np.float32)     # honest-view value of each node
        n_nodes = np.ones(G, dtype=np.int64)
        gi = np.arange(G)
        noise = (rng.random((G, A)) * 1e-6).astype(np.float32)  # random tie-breaks, fixed for this move
        value[:, 0] = self._leaf_values(games, rows, revealed, np.zeros(G, bool), ev)
        if self.root_eval:  # every root child judged once, in one batch: it enters the search as one visit
            rc, cc = np.nonzero(base)
            pix = np.concatenate([revealed[rc], cand[rc, cc][:, None]], axis=1)
            v1 = self._leaf_values(games, rows[rc], pix, np.full(len(rc), D == 1), ev)
            visits[rc, 0, cc], total[rc, 0, cc] = 1.0, sign[0] * v1
        for _ in range(R):
            avail = base.copy()
            node = np.zeros(G, dtype=np.int64)
            path_node = np.full((D, G), -1, dtype=np.int64)
            path_act = np.full((D, G), -1, dtype=np.int64)
            active = np.ones(G, dtype=bool)
            leaf = np.zeros(G, dtype=np.int64)
            fresh = np.zeros(G, dtype=bool)
            for d in range(D):
                ga = gi[active]
                if not len(ga):
                    break
                nd = node[ga]
                n, w = visits[ga, nd], total[ga, nd]
                fpu = sign[d] * value[ga, nd]
                q = np.where(n > 0, w / np.maximum(n, 1), fpu[:, None])
                av = avail[ga]
                explore = self.c_puct * np.sqrt(n.sum(1) + 1) / np.maximum(av.sum(1), 1)
                u = q + explore[:, None] / (1 + n) + noise[ga]
                u[~av] = -np.inf
                act = u.argmax(1)
                path_node[d, ga], path_act[d, ga] = nd, act
                avail[ga, act] = False
                ch = child[ga, nd, act]
                new = ch < 0
                gn = ga[new]
                ids = n_nodes[gn]
                n_nodes[gn] += 1
                child[gn, nd[new], act[new]] = ids
                leaf[gn], fresh[gn], active[gn] = ids, True, False
                node[ga[~new]] = ch[~new]
            leaf[active] = node[active]  # revisited a finished debate: its value is known
            gl = gi[fresh]
            if len(gl):
                acts = path_act[:, gl].T
                pix = np.where(acts >= 0, np.take_along_axis(cand[gl], np.maximum(acts, 0), 1), -1)
                pix = np.concatenate([revealed[gl], pix], axis=1)
                value[gl, leaf[gl]] = self._leaf_values(games, rows[gl], pix, (acts >= 0).sum(1) == D, ev)
            v = value[gi, leaf]
            for d in range(D):
                ok = path_act[d] >= 0
                go = gi[ok]
                visits[go, path_node[d, ok], path_act[d, ok]] += 1
                total[go, path_node[d, ok], path_act[d, ok]] += sign[d] * v[ok]
        n0 = visits[:, 0]
        score = n0 + 1e-3 * total[:, 0] / np.maximum(n0, 1) + noise
        score[~base] = -np.inf
        return cand[gi, score.argmax(1)]


def make_agent(name: str, rollouts: int = 100, c_puct: float = 1.0, root_eval: bool = True):
    if name == "greedy":
        return GreedyAgent()
    if name == "mcts":
        return MCTSAgent(rollouts, c_puct, root_eval)
    raise ValueError(f"unknown agent {name!r}; known: greedy, mcts")


def play(games: Games, agent, ev: Evaluator, rng: np.random.Generator) -> np.ndarray:
    """Play every game of the batch to the end (both players use `agent`); returns the final honest margins."""
    for turn in range(games.k):
        games.revealed[:, turn] = agent.choose(games, turn, ev, rng)
    return ev.margins(games, np.arange(len(games)), games.revealed)
