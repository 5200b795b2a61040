"""inspect-ai's entry point into Proctor (`[project.entry-points.inspect_ai] proctor = "proctor.inspect_tasks"`).

Importing this module registers every Proctor task with inspect, so these work as well as the `proctor` verbs:

    inspect eval proctor/debate --model-role debater_a=vllm/M --model-role debater_b=vllm/M --model-role judge=openai/J
    inspect eval proctor/consultancy | proctor/naive_judge | proctor/expert_judge
    inspect eval proctor/cai_revision --model-role policy=... --model-role critic=...
    inspect eval proctor/cai_samples --model-role policy=...          (two samples per prompt: the RL-stage pairs)
    inspect eval proctor/cai_preferences -T chains=chains.jsonl --model-role judge=...
    inspect eval proctor/rrm_assisted --model-role evaluator=... --model-role assistant=...
    inspect eval proctor/sycophancy --model ... -T pairs=50

Every task's display name is its registry name and every task has a scorer (tests/test_inspect_registry.py). It
also registers the offline model API `scripted` (`--model scripted/model`, see proctor.llm.scripted) and the scorer
`proctor/hardcode_monitor` (proctor.monitor.code.inspect_scorer), which wraps any code task's scorer and reports
the share of passes that game their tests (`hack_rate`).
"""

from .constitution.tasks import cai_preferences, cai_revision, cai_samples  # noqa: F401 (importing registers the tasks)
from .debate.tasks import consultancy, debate, expert_judge, naive_judge  # noqa: F401 (importing registers the tasks)
from .llm import scripted  # noqa: F401 (importing registers the `scripted` model API)
from .monitor.code.inspect_scorer import hardcode_monitor  # noqa: F401 (registers the scorer proctor/hardcode_monitor)
from .monitor.sycophancy import sycophancy  # noqa: F401 (importing registers the task)
from .rrm.tasks import rrm_assisted  # noqa: F401 (importing registers the tasks)
