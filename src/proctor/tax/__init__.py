"""The alignment tax: the capability-alignment Pareto frontier, its bend, and weight averaging (Lin et al. 2023).

    from proctor.tax import frontier_verdict, interpolation_sweep
    result = frontier_verdict(capability, alignment)     # .frontier, .area, .ci, .verdict ("convex" / "concave")
    points = interpolation_sweep("minilm", "out/tuned", {"sst2": ProbeEvaluation("sst2")})

    spec.py          DemoConfig, FormatsConfig: settings and defaults (read by the CLI's options); FormatsSpec, the
                     `tax_formats` suite experiment
    frontier.py      Pareto frontier, its bend (convex / concave) with a bootstrap verdict, per-checkpoint tax
    interpolate.py   weight averaging between a base and a fine-tuned checkpoint, swept over lambda
    evaluations.py   capability / alignment evaluations (linear probe, retrieval)
    formats.py       the tax per evaluation format (raw few-shot vs deployment chat), paired bootstrap, verdict
    demo.py          the offline demonstration's fine-tune (proctor.models.finetune)
    experiment.py    the `tax_formats` runner: each checkpoint's answers in every format, one unit per checkpoint
    summary.py       its summary (the paired analysis), `--json` headline and scorecard row
    report.py        report sections and figures
    technique.py     the registration: type `tax_formats`; `proctor tax`
    cli.py           `proctor tax frontier FILE`, `proctor tax interpolate --tuned FOLDER | --demo`, `tax formats`
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
