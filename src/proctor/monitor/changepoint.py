"""Online change-point detectors: two-sided CUSUM and Page-Hinkley, on standardized values z = (x - mu_ref) / sd_ref.

Each detector comes twice with identical semantics (a test checks they agree alarm for alarm):

- a vectorized pass over a whole array (`cusum_alarms`, `page_hinkley_alarms`), used to calibrate thresholds on
  hundreds of thousands of resampled reference values and by the evaluation harness;
- a one-value step on a small state list (`cusum_step`, `page_hinkley_step`), used by the streaming `Monitor`,
  whose state is JSON and survives a restart.

Both restart from zero after an alarm, so "alarms per 10k clean responses" is the renewal rate 10k / ARL0.
NaN values (a metric that does not apply to a response) are skipped: they neither add evidence nor count as steps.

CUSUM (Page 1954; Montgomery, Introduction to Statistical Quality Control, 6th ed., Sec. 9.1): the upper and lower
sums S+_t = max(0, S+_{t-1} + z_t - k), S-_t = max(0, S-_{t-1} - z_t - k); alarm when either exceeds h. k = 0.5 is
tuned to a shift of one reference standard deviation.

Page-Hinkley (Page 1954; Hinkley 1971; the form in Gama et al. 2014, "A survey on concept drift adaptation"): with
the running mean zbar_t since the last reset, m_t = sum_{i<=t} (z_i - zbar_i - delta) and M_t = min_{i<=t} m_i; alarm
when m_t - M_t > lambda (increase) or, mirrored, for a decrease; no alarm in the first `min_n` values after a reset.
Unlike CUSUM it needs no reference mean, so it also fires on changes relative to the stream's own recent past.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["DETECTORS", "cusum_alarms", "cusum_step", "page_hinkley_alarms", "page_hinkley_step"]


def _lindley(w: np.ndarray) -> np.ndarray:
    """S_t = max(0, S_{t-1} + w_t) from S_0 = 0, in closed form: W_t - min(0, min_{s<=t} W_s) with W = cumsum(w)."""
    c = np.cumsum(w)
    return c - np.minimum(np.minimum.accumulate(c), 0.0)


def cusum_alarms(z, h: float, k: float = 0.5, max_alarms: int | None = None) -> np.ndarray:
    """Indices (into `z`) at which a two-sided CUSUM with reset alarms (the first `max_alarms` of them, if given)."""
    z = np.asarray(z, dtype=np.float64)
    keep = np.flatnonzero(~np.isnan(z))
    v = z[keep]
    alarms, start, n = [], 0, v.size
    # After each alarm the sums restart at zero; the closed form is recomputed from there, on growing chunks so a
    # long quiet stream costs one pass and a drifting one does not recompute the whole tail per alarm.
    chunk = 1024
    while start < n and (max_alarms is None or len(alarms) < max_alarms):
        end = min(n, start + chunk)
        seg = v[start:end]
        hit = np.flatnonzero((_lindley(seg - k) > h) | (_lindley(-seg - k) > h))
        if hit.size:
            alarms.append(start + int(hit[0]))
            start += int(hit[0]) + 1
            chunk = max(1024, 4 * (int(hit[0]) + 1))
        elif end == n:
            break
        else:
            chunk *= 4
    return keep[np.asarray(alarms, dtype=np.int64)]


def cusum_step(state: list[float], z: float, h: float, k: float = 0.5) -> float:
    """Advance CUSUM state [S+, S-] by one value in place; returns max(S+, S-). Above `h` it is an alarm and the
    state is reset. NaN leaves the state alone and returns 0."""
    if math.isnan(z):
        return 0.0
    state[0] = max(0.0, state[0] + z - k)
    state[1] = max(0.0, state[1] - z - k)
    stat = max(state[0], state[1])
    if stat > h:
        state[0] = state[1] = 0.0
    return stat


def _ph_first(v: np.ndarray, lam: float, delta: float, min_n: int) -> int:
    """First alarm index of Page-Hinkley on `v` started fresh, or -1."""
    n = np.arange(1, v.size + 1)
    zbar = np.cumsum(v) / n
    up = np.cumsum(v - zbar - delta)
    down = np.cumsum(zbar - v - delta)
    gap_up = up - np.minimum(np.minimum.accumulate(up), 0.0)
    gap_down = down - np.minimum(np.minimum.accumulate(down), 0.0)
    hit = np.flatnonzero(((gap_up > lam) | (gap_down > lam)) & (n >= min_n))
    return int(hit[0]) if hit.size else -1


def page_hinkley_alarms(z, lam: float, delta: float = 0.1, min_n: int = 30,
                        max_alarms: int | None = None) -> np.ndarray:
    """Indices (into `z`) at which a two-sided Page-Hinkley test with reset alarms (the first `max_alarms`)."""
    z = np.asarray(z, dtype=np.float64)
    keep = np.flatnonzero(~np.isnan(z))
    v = z[keep]
    alarms, start, chunk = [], 0, 1024
    while start < v.size and (max_alarms is None or len(alarms) < max_alarms):
        end = min(v.size, start + chunk)
        i = _ph_first(v[start:end], lam, delta, min_n)
        if i >= 0:
            alarms.append(start + i)
            start += i + 1
            chunk = max(1024, 4 * (i + 1))
        elif end == v.size:
            break
        else:
            # PH depends on the whole history since reset (the running mean), so grow the window, never slide it
            chunk *= 4
    return keep[np.asarray(alarms, dtype=np.int64)]


def page_hinkley_step(state: list[float], z: float, lam: float, delta: float = 0.1, min_n: int = 30) -> float:
    """Advance Page-Hinkley state [n, sum_z, m_up, min_up, m_down, min_down] in place; returns the larger gap
    m - M (0 during the first `min_n` values). Above `lam` it is an alarm and the state is reset."""
    if math.isnan(z):
        return 0.0
    state[0] += 1.0
    state[1] += z
    zbar = state[1] / state[0]
    state[2] += z - zbar - delta
    state[3] = min(state[3], state[2])
    state[4] += zbar - z - delta
    state[5] = min(state[5], state[4])
    stat = max(state[2] - state[3], state[4] - state[5]) if state[0] >= min_n else 0.0
    if stat > lam:
        state[:] = [0.0] * 6
    return stat


#: Detector name -> (vectorized alarms, step, initial state length, default parameters besides the threshold).
DETECTORS = {
    "cusum": (cusum_alarms, cusum_step, 2, {"k": 0.5}),
    "page_hinkley": (page_hinkley_alarms, page_hinkley_step, 6, {"delta": 0.1, "min_n": 30}),
}
