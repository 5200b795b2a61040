"""The joint post-training law: quality against SFT examples and preference pairs, and the budget split between them.

    Q(N_s, N_p) = Q_inf - a_s x_s - a_p x_p - gamma x_s x_p,    x_s = log(1 + S*/N_s),  x_p = log(1 + P*/N_p)

Each data type gets the one-dimensional post-training law of section 18.7 (`proctor.scaling.posttrain`): a
log-saturation deficit x that falls to 0 as its data grow past its own bend (S* SFT examples, P* preference pairs).
Additive deficits (gamma = 0) say the two kinds of data buy independent improvements. The interaction gamma x_s x_p is
the simplest departure that keeps both saturations: the marginal value of preference data is
dQ/dN_p = (a_p + gamma x_s) P* / (N_p (N_p + P*)), so gamma > 0 makes preference pairs worth more while SFT data are
scarce (the two substitute for each other) and gamma < 0 worth more once SFT data are plentiful (they complement).
Whether gamma is needed is tested twice: an F test of the additive law nested in the full one (approximate, as for
any nonlinear least squares), and the percentile bootstrap interval of gamma.

For fixed (S*, P*) the law is linear in (Q_inf, a_s, a_p, gamma), so the fit profiles them out by least squares and
searches (log S*, log P*) only (variable projection, as the 1-D fit does): a grid, then Nelder-Mead from its best
point. When every N_s (or N_p) lies below its fitted bend, that axis sits on its logarithmic part and Q_inf trades off
with S* (P*) freely: the fit warns, as the 1-D fit does. N_s = 0 (no SFT stage) has no finite deficit under this form;
such runs must be left out.

`plan_allocation` maximises the fitted Q on the budget line c_s N_s + c_p N_p = B (scipy.optimize over the SFT share
of the budget), and prices one more example of each kind at the optimum.

    from proctor.scaling.joint import fit_joint, plan_allocation
    fit = fit_joint(n_sft, n_pref, quality)
    plan = plan_allocation(fit, budget=1e6, cost_sft=4.0, cost_pref=1.0)
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from proctor.errors import DataError
from proctor.scaling.spec import PosttrainJointConfig

__all__ = ["JOINT_NAMES", "JointFit", "JointParams", "Allocation", "allocate", "check_runs", "fit_joint",
           "joint_fit_from_dict", "plan_allocation"]

JOINT_NAMES = ("Q_inf", "a_s", "S_star", "a_p", "P_star", "gamma")


@dataclass(frozen=True)
class JointParams:
    """The six constants of Q(N_s, N_p) = Q_inf - a_s x_s - a_p x_p - gamma x_s x_p."""

    Q_inf: float
    """Ceiling: Q with unlimited data of both kinds."""
    a_s: float
    """Slope of the SFT deficit x_s = log(1 + S*/N_s)."""
    S_star: float
    """SFT examples where the SFT term bends from logarithmic growth to saturation."""
    a_p: float
    """Slope of the preference deficit x_p = log(1 + P*/N_p)."""
    P_star: float
    """Preference pairs where the preference term bends."""
    gamma: float = 0.0
    """Interaction: > 0, preference data worth more while SFT data are scarce (substitutes); < 0, complements."""

    def deficits(self, n_sft, n_pref):
        return np.log1p(self.S_star / np.asarray(n_sft, float)), np.log1p(self.P_star / np.asarray(n_pref, float))

    def quality(self, n_sft, n_pref):
        """Predicted Q (scalars or broadcastable arrays)."""
        xs, xp = self.deficits(n_sft, n_pref)
        return self.Q_inf - self.a_s * xs - self.a_p * xp - self.gamma * xs * xp

    def marginal(self, n_sft, n_pref) -> tuple[float, float]:
        """(dQ/dN_s, dQ/dN_p): what one more SFT example, and one more preference pair, add at (N_s, N_p)."""
        xs, xp = self.deficits(n_sft, n_pref)
        ds = (self.a_s + self.gamma * xp) * self.S_star / (n_sft * (n_sft + self.S_star))
        dp = (self.a_p + self.gamma * xs) * self.P_star / (n_pref * (n_pref + self.P_star))
        return float(ds), float(dp)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass
class JointFit:
    """The result of `fit_joint`."""

    params: JointParams
    sse: float
    n_points: int
    seconds: float
    config: PosttrainJointConfig
    additive: JointParams | None = None
    """The additive fit (gamma = 0) the interaction is tested against."""
    sse_additive: float = math.nan
    f_stat: float = math.nan
    p_interaction: float = math.nan
    """p-value of the F test of gamma = 0 (nested least squares; approximate for a nonlinear law)."""
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    boot: np.ndarray | None = None  # (n_boot, 6) rows in JOINT_NAMES order
    ranges: dict[str, list[float]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def interval(self, fn) -> tuple[float, float]:
        """Percentile bootstrap interval of any function of the parameters (NaN, NaN without a bootstrap)."""
        if self.boot is None or not len(self.boot):
            return math.nan, math.nan
        vals = np.array([fn(JointParams(*row)) for row in self.boot], dtype=float)
        vals = vals[np.isfinite(vals)]
        if not vals.size:
            return math.nan, math.nan
        lo, hi = np.percentile(vals, [50 * (1 - self.config.ci), 50 * (1 + self.config.ci)])
        return float(lo), float(hi)

    @property
    def interaction_verdict(self) -> str:
        """"interaction" when the bootstrap CI of gamma excludes 0 and the F test rejects gamma = 0 at 5%;
        "additive" when neither does; "undetermined" when they disagree or there is no test."""
        lo, hi = self.ci.get("gamma", (math.nan, math.nan))
        if not self.config.interaction or not (math.isfinite(lo) and math.isfinite(self.p_interaction)):
            return "undetermined"
        ci_says, f_says = lo > 0 or hi < 0, self.p_interaction < 0.05
        return "interaction" if ci_says and f_says else "additive" if not (ci_says or f_says) else "undetermined"

    def as_dict(self, boot: bool = False) -> dict:
        d = {**self.params.as_dict(), "ci": {k: list(v) for k, v in self.ci.items()}, "sse": self.sse,
             "n_points": self.n_points, "n_boot": 0 if self.boot is None else int(self.boot.shape[0]),
             "interaction": {"fitted": self.config.interaction, "f": self.f_stat, "p": self.p_interaction,
                             "sse_additive": self.sse_additive, "verdict": self.interaction_verdict,
                             "additive_fit": None if self.additive is None else self.additive.as_dict()},
             "ranges": self.ranges, "warnings": list(self.warnings), "seconds": self.seconds,
             "config": self.config.model_dump()}
        if boot:
            d["boot"] = {"columns": list(JOINT_NAMES), "rows": [] if self.boot is None else self.boot.tolist()}
        return d


def joint_fit_from_dict(obj: dict) -> JointFit:
    """The JointFit that `JointFit.as_dict(boot=True)` wrote (a saved fit file, a run's summary; NaN may be null).
    Raises KeyError, TypeError or ValueError (pydantic's ValidationError for the config) on anything else."""
    def num(v) -> float:
        return math.nan if v is None else float(v)

    params = JointParams(**{k: float(obj[k]) for k in JOINT_NAMES})
    config = PosttrainJointConfig(**(obj.get("config") or {}))
    table = obj.get("boot") or {"columns": list(JOINT_NAMES), "rows": []}
    if list(table["columns"]) != list(JOINT_NAMES):
        raise ValueError(f"bootstrap columns {table['columns']!r}")
    boot = np.array(table["rows"], dtype=float).reshape(-1, len(JOINT_NAMES))
    boot = boot[np.all(np.isfinite(boot), axis=1) & (boot[:, 2] > 0) & (boot[:, 4] > 0)]
    inter = obj.get("interaction") or {}
    additive = inter.get("additive_fit")
    return JointFit(params, num(obj.get("sse")), int(obj.get("n_points") or 0), num(obj.get("seconds") or 0.0),
                    config, additive=JointParams(**additive) if additive else None,
                    sse_additive=num(inter.get("sse_additive")), f_stat=num(inter.get("f")),
                    p_interaction=num(inter.get("p")),
                    ci={k: (num(a), num(b)) for k, (a, b) in (obj.get("ci") or {}).items()}, boot=boot,
                    ranges={k: [float(a), float(b)] for k, (a, b) in (obj.get("ranges") or {}).items()},
                    warnings=[str(w) for w in obj.get("warnings") or []])


def _profile(gs, gp, data: tuple, interaction: bool):
    """Weighted least squares of q on [1, -x_s, -x_p(, -x_s x_p)] for each (log S*, log P*) in the arrays gs, gp:
    (sse, coefficients) with shapes (G,), (G, k). `data` = (N_s, N_p, Q, weights)."""
    ns, np_, q, w = data
    gs, gp = np.atleast_1d(gs)[:, None], np.atleast_1d(gp)[:, None]
    xs, xp = np.log1p(np.exp(gs) / ns), np.log1p(np.exp(gp) / np_)  # (G, n)
    cols = [np.ones_like(xs), -xs, -xp] + ([-xs * xp] if interaction else [])
    X = np.stack(cols, axis=-1)  # (G, n, k)
    Xw = X * w[None, :, None]
    A = Xw.transpose(0, 2, 1) @ X  # (G, k, k) normal equations, a relative ridge of 1e-12 against exact collinearity
    A += 1e-12 * np.trace(A, axis1=1, axis2=2)[:, None, None] * np.eye(A.shape[-1])
    beta = np.linalg.solve(A, (Xw.transpose(0, 2, 1) @ q)[..., None])[..., 0]
    r = q[None, :] - (X @ beta[..., None])[..., 0]
    return (r**2) @ w, beta


def _fit_once(ns, np_, q, w, config: PosttrainJointConfig, interaction: bool):
    from scipy.optimize import minimize

    lo_s, hi_s = math.log(ns.min()) - config.log_span, math.log(ns.max()) + config.log_span
    lo_p, hi_p = math.log(np_.min()) - config.log_span, math.log(np_.max()) + config.log_span
    a, b = np.meshgrid(np.linspace(lo_s, hi_s, config.grid), np.linspace(lo_p, hi_p, config.grid), indexing="ij")
    sse, _ = _profile(a.ravel(), b.ravel(), (ns, np_, q, w), interaction)
    k = int(np.argmin(sse))
    x0 = np.array([a.ravel()[k], b.ravel()[k]])

    sw = np.sqrt(w)

    def obj(g):  # one point: a plain weighted least squares (the batched _profile costs more for G = 1)
        gs, gp = min(max(g[0], lo_s), hi_s), min(max(g[1], lo_p), hi_p)
        xs, xp = np.log1p(math.exp(gs) / ns), np.log1p(math.exp(gp) / np_)
        X = np.stack([np.ones_like(xs), -xs, -xp, -xs * xp] if interaction else [np.ones_like(xs), -xs, -xp], 1)
        beta = np.linalg.lstsq(X * sw[:, None], q * sw, rcond=None)[0]
        return float((((q - X @ beta) * sw) ** 2).sum())

    res = minimize(obj, x0, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-14, "maxiter": 2000})
    g = np.clip(res.x, [lo_s, lo_p], [hi_s, hi_p]) if res.fun <= sse[k] else x0
    s, beta = _profile(g[0], g[1], (ns, np_, q, w), interaction)
    c = beta[0]
    params = JointParams(Q_inf=float(c[0]), a_s=float(c[1]), S_star=math.exp(g[0]), a_p=float(c[2]),
                         P_star=math.exp(g[1]), gamma=float(c[3]) if interaction else 0.0)
    edges = {"S*": g[0] <= lo_s + 1e-6 or g[0] >= hi_s - 1e-6, "P*": g[1] <= lo_p + 1e-6 or g[1] >= hi_p - 1e-6}
    return params, float(s[0]), edges


def check_runs(n_sft, n_pref, quality, *, interaction: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N_s, N_p, Q) as float arrays, or a DataError saying why the joint law cannot be fitted to them."""
    ns, np_, q = (np.asarray(v, dtype=float).ravel() for v in (n_sft, n_pref, quality))
    if not ns.shape == np_.shape == q.shape:
        raise DataError(f"N_s, N_p and Q must have the same length, got {ns.size}, {np_.size} and {q.size}")
    if not (np.all(np.isfinite(ns) & (ns > 0)) and np.all(np.isfinite(np_) & (np_ > 0)) and np.all(np.isfinite(q))):
        raise DataError("N_s and N_p must be positive and finite, and Q finite, for every run (a run without SFT "
                        "data has no finite SFT deficit under this law: leave it out)")
    k = 6 if interaction else 5
    for name, v in (("N_s", ns), ("N_p", np_)):
        if np.unique(v).size < 3:
            raise DataError(f"the joint fit needs at least 3 distinct {name} values, got {np.unique(v).size}")
    cells = np.unique(np.stack([ns, np_], 1), axis=0).shape[0]
    if cells < k + 1:
        raise DataError(f"a {k}-parameter fit needs at least {k + 1} distinct (N_s, N_p) runs, got {cells}")
    return ns, np_, q


def fit_joint(n_sft, n_pref, quality, config: PosttrainJointConfig | None = None) -> JointFit:
    """Least-squares fit of the joint law (see the module docstring), with percentile bootstrap CIs over runs and the
    test of the interaction term."""
    from scipy.special import fdtrc

    config = config or PosttrainJointConfig()
    ns, np_, q = check_runs(n_sft, n_pref, quality, interaction=config.interaction)
    k = 6 if config.interaction else 5
    t0 = time.perf_counter()
    ones = np.ones_like(q)
    params, sse, edges = _fit_once(ns, np_, q, ones, config, config.interaction)
    fit = JointFit(params, sse, q.size, 0.0, config,
                   ranges={"N_s": [float(ns.min()), float(ns.max())], "N_p": [float(np_.min()), float(np_.max())]})
    if config.interaction:
        fit.additive, fit.sse_additive, _ = _fit_once(ns, np_, q, ones, config, False)
        dof = q.size - 6
        if dof > 0 and sse > 0:
            fit.f_stat = max(0.0, (fit.sse_additive - sse) / (sse / dof))
            fit.p_interaction = float(fdtrc(1, dof, fit.f_stat))
    if config.n_boot:
        rng = np.random.default_rng(config.seed)
        rows = []
        for _ in range(config.n_boot):
            w = rng.multinomial(q.size, np.full(q.size, 1.0 / q.size)).astype(float)
            keep = w > 0
            if min(np.unique(ns[keep]).size, np.unique(np_[keep]).size) < 3 or \
                    np.unique(np.stack([ns[keep], np_[keep]], 1), axis=0).shape[0] < k:
                continue  # too few distinct runs left to pin the parameters
            p, _, _ = _fit_once(ns, np_, q, w, config, config.interaction)
            rows.append([getattr(p, n) for n in JOINT_NAMES])
        fit.boot = np.array(rows, dtype=float).reshape(-1, 6)
        for name in JOINT_NAMES if config.interaction else JOINT_NAMES[:-1]:
            fit.ci[name] = fit.interval(lambda p, name=name: getattr(p, name))
    for axis, n, star, sym in (("SFT", ns, params.S_star, "S*"), ("preference", np_, params.P_star, "P*")):
        if np.all(n < star):
            fit.warnings.append(
                f"every {axis} run lies below the fitted {sym} = {star:,.0f}: that axis is on the logarithmic part "
                f"of its curve, so Q_inf and {sym} cannot be told apart along it")
        if edges[sym]:
            fit.warnings.append(f"the fitted {sym} sits at the edge of the search range: the data do not show the "
                                f"{axis} bend")
    r = np.corrcoef(np.log(ns), np.log(np_))[0, 1]
    if abs(r) > 0.95:
        fit.warnings.append(f"log N_s and log N_p are nearly collinear across runs (r = {r:.3f}): the two terms are "
                            "confounded; vary the two kinds of data independently")
    fit.seconds = time.perf_counter() - t0
    return fit


@dataclass
class Allocation:
    """The best split of one budget under one fit."""

    n_sft: float
    n_pref: float
    quality: float
    share_sft: float
    """Fraction of the budget spent on SFT data."""
    marginal_sft: float
    """dQ/dN_s at the optimum: what one more SFT example adds."""
    marginal_pref: float
    """dQ/dN_p at the optimum: what one more preference pair adds."""
    per_budget: float
    """dQ/dB at the optimum (= marginal_sft / c_s = marginal_pref / c_p for an interior optimum)."""
    edge: bool
    """The optimum is at a corner (all budget on one kind): the derivatives per cost are not equal there."""

    def as_dict(self) -> dict:
        return asdict(self)


def allocate(params: JointParams, budget: float, cost_sft: float, cost_pref: float, *, grid: int = 400) -> Allocation:
    """Maximise Q(N_s, N_p) subject to c_s N_s + c_p N_p = B: a grid over the SFT share of the budget in logit space,
    then a bounded scalar search (scipy.optimize.minimize_scalar) around the best grid point."""
    from scipy.optimize import minimize_scalar
    from scipy.special import expit

    def q_of(t):
        f = expit(t)
        return params.quality(f * budget / cost_sft, (1 - f) * budget / cost_pref)

    span = 30.0
    ts = np.linspace(-span, span, grid)
    with np.errstate(all="ignore"):
        qs = np.nan_to_num(q_of(ts), nan=-np.inf)
    k = int(np.argmax(qs))
    step = ts[1] - ts[0]
    res = minimize_scalar(lambda t: -float(q_of(t)), bounds=(max(-span, ts[k] - step), min(span, ts[k] + step)),
                          method="bounded", options={"xatol": 1e-9})
    t = float(res.x) if -res.fun >= qs[k] else float(ts[k])
    f = float(expit(t))
    n_s, n_p = f * budget / cost_sft, (1 - f) * budget / cost_pref
    ms, mp = params.marginal(n_s, n_p)
    edge = abs(t) >= span - step
    return Allocation(n_sft=n_s, n_pref=n_p, quality=float(params.quality(n_s, n_p)), share_sft=f, marginal_sft=ms,
                      marginal_pref=mp, per_budget=max(ms / cost_sft, mp / cost_pref), edge=bool(edge))


def plan_allocation(fit: JointFit | JointParams, budget: float, cost_sft: float, cost_pref: float, *,
                    boot: np.ndarray | None = None, level: float = 0.95, ranges: dict | None = None) -> dict:
    """The allocation under the fit, percentile intervals over its bootstrap fits (each re-optimised), and warnings
    when the optimum lies outside the runs the fit saw."""
    if not (budget > 0 and cost_sft > 0 and cost_pref > 0):
        raise ValueError("budget and both costs must be positive")
    params = fit.params if isinstance(fit, JointFit) else fit
    if isinstance(fit, JointFit):
        boot, level, ranges = fit.boot, fit.config.ci, fit.ranges
    def even(p: JointParams) -> float:  # half the budget on each kind: the naive split the plan is measured against
        return float(p.quality(0.5 * budget / cost_sft, 0.5 * budget / cost_pref))

    best = allocate(params, budget, cost_sft, cost_pref)
    out = {"budget": budget, "cost_sft": cost_sft, "cost_pref": cost_pref, **best.as_dict(),
           "quality_even": even(params), "gain_over_even": best.quality - even(params), "ci": {}, "n_boot": 0,
           "level": level, "warnings": []}
    if boot is not None and len(boot):
        rows = [JointParams(*row) for row in boot]
        sims = [allocate(p, budget, cost_sft, cost_pref) for p in rows]
        out["n_boot"] = len(sims)
        for s, p in zip(sims, rows):
            s.gain_over_even = s.quality - even(p)
        for key in ("n_sft", "n_pref", "quality", "share_sft", "marginal_sft", "marginal_pref", "per_budget",
                    "gain_over_even"):
            vals = np.array([getattr(s, key) for s in sims], dtype=float)
            vals = vals[np.isfinite(vals)]
            if vals.size:
                lo, hi = np.percentile(vals, [50 * (1 - level), 50 * (1 + level)])
                out["ci"][key] = [float(lo), float(hi)]
        out["boot_optima"] = [[s.n_sft, s.n_pref] for s in sims]
    if best.edge:
        out["warnings"].append("the optimum spends (almost) the whole budget on one kind of data: the fitted law "
                               "gives the other no value at this budget")
    for key, n, name in (("N_s", best.n_sft, "SFT examples"), ("N_p", best.n_pref, "preference pairs")):
        lo, hi = (ranges or {}).get(key, (None, None))
        if lo is not None and not (lo <= n <= hi):
            out["warnings"].append(f"the optimal {n:,.0f} {name} lie outside the runs' range [{lo:,.0f}, {hi:,.0f}]: "
                                   "an extrapolation of the fitted law")
    return out
