"""inspect-ai's entry point into Proctor (`[project.entry-points.inspect_ai] proctor = "proctor.inspect_tasks"`).

Importing this module registers every Proctor task with inspect, so these work as well as the `proctor` verbs:

    inspect eval proctor/debate --model-role debater_a=vllm/M --model-role debater_b=vllm/M --model-role judge=openai/J
    inspect eval proctor/consultancy | proctor/naive_judge | proctor/expert_judge
    inspect eval proctor/cai_revision --model-role policy=... --model-role critic=...
    inspect eval proctor/cai_samples --model-role policy=...          (two samples per prompt: the RL-stage pairs)
    inspect eval proctor/cai_preferences -T chains=chains.jsonl --model-role judge=...
    inspect eval proctor/rrm_assisted --model-role evaluator=... --model-role assistant=...
"""

from .constitution.tasks import cai_preferences, cai_revision, cai_samples  # noqa: F401 (importing registers the tasks)
from .debate.tasks import consultancy, debate, expert_judge, naive_judge  # noqa: F401 (importing registers the tasks)
from .rrm.tasks import rrm_assisted  # noqa: F401 (importing registers the tasks)
