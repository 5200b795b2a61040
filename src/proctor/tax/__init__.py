"""The alignment tax: the capability-alignment Pareto frontier, its bend, and weight averaging (Lin et al. 2023).

    from proctor.tax import frontier_verdict, interpolation_sweep
    result = frontier_verdict(capability, alignment)     # .frontier, .area, .ci, .verdict ("convex" / "concave")
    points = interpolation_sweep("minilm", "out/tuned", {"sst2": ProbeEvaluation("sst2")})

CLI: `proctor tax frontier FILE`, `proctor tax interpolate --tuned FOLDER | --demo` (see `proctor.tax.cli`).
"""

from proctor.tax.evaluations import ProbeEvaluation, RetrievalEvaluation, parse_evaluation
from proctor.tax.frontier import FrontierResult, alignment_tax, bend_area, frontier_verdict, pareto_frontier
from proctor.tax.interpolate import InterpolationPoint, average_state, interpolation_sweep

__all__ = [
    "FrontierResult",
    "InterpolationPoint",
    "ProbeEvaluation",
    "RetrievalEvaluation",
    "alignment_tax",
    "average_state",
    "bend_area",
    "frontier_verdict",
    "interpolation_sweep",
    "pareto_frontier",
    "parse_evaluation",
]
