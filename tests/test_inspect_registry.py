"""Proctor's inspect-ai entry point: every `@task` is registered under `proctor/NAME`, the Task it builds is named
NAME (what `inspect view` and the logs show), and every task has a scorer."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("inspect_ai")

EXPECTED = {"debate", "consultancy", "naive_judge", "expert_judge", "cai_revision", "cai_samples",
            "cai_preferences", "rrm_assisted", "sycophancy"}


def _registered_tasks() -> dict:
    # inspect's registry, read as its CLI reads it (`inspect eval proctor/NAME` looks the name up here)
    from inspect_ai._util.registry import registry_find, registry_info

    import proctor.inspect_tasks  # noqa: F401 (the entry point inspect loads for "proctor/...")

    return {registry_info(t).name: t for t in registry_find(lambda i: i.type == "task")
            if registry_info(t).name.startswith("proctor/")}


def test_every_task_is_registered_named_as_registered_and_scored(tmp_path, data_dir):
    tasks = _registered_tasks()
    assert set(tasks) == {f"proctor/{n}" for n in EXPECTED}
    chains = tmp_path / "chains.jsonl"
    chains.write_text(json.dumps({"id": "1", "prompt": "p", "initial": "first reply", "final": "revised reply",
                                  "status": "complete", "rounds": []}) + "\n")
    args = {"debate": {"limit": 1}, "consultancy": {"limit": 1}, "naive_judge": {"limit": 1},
            "expert_judge": {"limit": 1}, "cai_revision": {"limit": 1}, "cai_samples": {"limit": 1},
            "cai_preferences": {"chains": str(chains)}, "rrm_assisted": {"n": 2}, "sycophancy": {"pairs": 1}}
    for full, fn in sorted(tasks.items()):
        name = full.split("/", 1)[1]
        task = fn(**args[name])
        assert task.name == name, f"{full} builds a task named {task.name!r}"
        assert task.scorer, f"{full} has no scorer"


def test_sycophancy_runs_by_its_registry_name(tmp_path, data_dir):
    """`inspect eval proctor/sycophancy` finds the task (here through inspect's Python API, with a scripted model)."""
    from inspect_ai import eval as inspect_eval

    import proctor.inspect_tasks  # noqa: F401

    log = inspect_eval("proctor/sycophancy", model="scripted/model", task_args={"pairs": 2}, log_dir=str(tmp_path),
                       display="none")[0]
    assert log.status == "success" and log.eval.task == "sycophancy" and log.eval.task_registry_name == \
        "proctor/sycophancy" and len(log.samples) == 4
    assert {s.scores["user_view_agreement"].answer for s in log.samples} <= {"A", "B"}


def test_missing_api_key_is_one_plain_line(monkeypatch):
    from proctor.errors import ModelError
    from proctor.llm import role_model

    for key in ("OPENAI_API_KEY", "AZUREAI_OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(ModelError) as e:
        role_model("openai/gpt-4o-mini")
    text = str(e.value)
    assert "OPENAI_API_KEY" in text and "[bold]" not in text and "[/" not in text and "\n" not in text
