"""Experiment tracking (`proctor --log-to mlflow|tensorboard|wandb`): a real suite logged to a local MLflow file store,
to TensorBoard event files and to a W&B offline run, read back with the trackers' own readers (for W&B its protobuf
schema); unit numbers, seconds, a real training history (a small SAE trained by proctor.sae.train) and the scorecard
arrive; secrets never do.

This module is also a technique ("tinysae", plugged in with PROCTOR_TECHNIQUES) whose one unit trains an SAE and
returns its history, as `proctor sae run` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pytest
from conftest import assert_user_error, invoke, last_json

from proctor.runs.spec import Spec
from proctor.runs.technique import ScoreRow, Technique

SECRET = "sk-live-0123456789abcdef"
PLUGINS = "coin=plugins.coin_technique,tinysae=test_tracking"


class TinySAESpec(Spec):
    type: Literal["tinysae"] = "tinysae"
    name: str | None = None
    """Experiment title."""
    steps: int = 12
    """Training steps."""
    api_key: str = SECRET
    """A credential a spec might carry: never logged."""
    endpoint: str = f"https://me:{SECRET}@example.invalid/v1"
    """A URL with a password in it: logged without the password."""

    @property
    def title(self) -> str:
        return self.name or "tinysae"


def run(spec: TinySAESpec, store, on_unit) -> None:
    def compute():
        from proctor.sae.config import SAEConfig, TrainConfig
        from proctor.sae.train import train_sae

        rows = np.random.default_rng(0).normal(size=(256, 8)).astype(np.float32)
        res = train_sae(rows, SAEConfig(d_in=8, num_latents=32, k=4),
                        TrainConfig(steps=spec.steps, batch_size=64, log_every=3, b_dec_init="mean"),
                        progress=False)
        return {"fvu": res.history[-1]["fvu"], "train": {"steps": res.steps, "history": res.history}}, {}

    unit, computed = store.get_or_compute(spec.title, "sae", {"tinysae": spec.steps}, compute)
    on_unit("sae", unit, computed)


def summarize(store, spec: TinySAESpec) -> dict:
    units = store.units(experiment=spec.title)
    return {"fvu": units[0].result["fvu"] if units else None}


TECHNIQUE = Technique(type="tinysae", name="tiny SAE", spec=TinySAESpec, run=run, summarize=summarize,
                      sections=lambda s: [], scorecard=lambda s: [ScoreRow("tiny SAE", "random rows", "FVU", s["fvu"],
                                                                           null=None)])


@pytest.fixture
def suite(tmp_path, monkeypatch):
    from proctor import tracking

    monkeypatch.setenv("PROCTOR_TECHNIQUES", PLUGINS)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    monkeypatch.delenv("PROCTOR_LOG_TO", raising=False)
    path = tmp_path / "suite.toml"
    path.write_text('name = "tracked"\n[[experiment]]\ntype = "coin"\nflips = 50\n'
                    '[[experiment]]\ntype = "tinysae"\n')
    yield path
    tracking.configure(None)  # the CLI option is process state: leave none behind for other tests


def _units(run_dir: Path) -> dict:
    from proctor.runs.store import RunStore

    with RunStore(run_dir) as st:
        return {(u.experiment, u.kind, u.config.get("seed")): u for u in st.units()}


def test_a_suite_run_is_logged_to_mlflow_and_tensorboard_and_read_back(suite, tmp_path):
    from mlflow.tracking import MlflowClient
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_dir = tmp_path / "run"
    r = invoke("--log-to", "mlflow,tensorboard", "run", suite, "--out", run_dir, "--json")
    obj = last_json(r)
    assert "logging to mlflow" in r.stderr and "logging to tensorboard" in r.stderr
    units = _units(run_dir)
    coin0, sae = units[("coin", "seed", 0)], units[("tinysae", "sae", None)]
    history = sae.result["train"]["history"]
    assert len(history) >= 4

    # MLflow: one run in experiment proctor/tracked, read back through MLflow's client from the file store
    client = MlflowClient(tracking_uri=(tmp_path / "mlruns").as_uri())
    exp = client.get_experiment_by_name("proctor/tracked")
    (run,) = client.search_runs([exp.experiment_id])
    assert run.info.status == "FINISHED" and run.info.run_name == "run"
    m = run.data.metrics
    assert m["coin/seed 0/accuracy"] == pytest.approx(coin0.result["accuracy"])
    assert m["coin/seed 1/baseline"] == pytest.approx(units[("coin", "seed", 1)].result["baseline"])
    assert m["coin/seed 0/seconds"] == pytest.approx(coin0.seconds)
    fvu = client.get_metric_history(run.info.run_id, "tinysae/sae/train/history/fvu")
    assert [p.step for p in fvu] == [h["step"] for h in history]
    assert [p.value for p in fvu] == pytest.approx([h["fvu"] for h in history])
    card = {row["technique"]: row for row in obj["scorecard"]}
    assert m["scorecard/coin/weak overseer/accuracy - always heads"] == pytest.approx(card["coin"]["value"])
    assert m["scorecard/tiny SAE/random rows/FVU"] == pytest.approx(card["tiny SAE"]["value"])
    params = run.data.params
    assert params["coin.flips"] == "50" and params["tinysae.steps"] == "12"
    assert "tinysae.api_key" not in params and params["tinysae.endpoint"] == "https://***@example.invalid/v1"

    # TensorBoard: the event files under RUN_DIR/tensorboard, read back by TensorBoard's own reader
    acc = EventAccumulator(str(run_dir / "tensorboard"))
    acc.Reload()
    assert acc.Scalars("coin/seed 0/accuracy")[0].value == pytest.approx(coin0.result["accuracy"])
    tb_fvu = acc.Scalars("tinysae/sae/train/history/fvu")
    assert [e.step for e in tb_fvu] == [h["step"] for h in history]
    assert [e.value for e in tb_fvu] == pytest.approx([h["fvu"] for h in history], rel=1e-6)
    assert acc.Scalars("tinysae/sae/seconds")[0].value == pytest.approx(sae.seconds, rel=1e-6)

    # secrets are nowhere in what the trackers wrote
    for root in (tmp_path / "mlruns", run_dir / "tensorboard"):
        for f in root.rglob("*"):
            if f.is_file():
                assert SECRET.encode() not in f.read_bytes(), f


def test_an_end_to_end_verb_logs_through_the_same_runner(suite, tmp_path):
    """`proctor --log-to ... VERB`: the verb's one-experiment suite is logged like `proctor run`'s (PROCTOR_LOG_TO
    works the same)."""
    import os
    import subprocess
    import sys

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tests = str(Path(__file__).resolve().parent)
    env = {**os.environ, "PROCTOR_LOG_TO": "tensorboard", "PYTHONPATH": tests + os.pathsep + os.environ.get(
        "PYTHONPATH", "")}  # a subprocess: the plugged-in verb is mounted when proctor.cli is first imported
    r = subprocess.run([sys.executable, "-m", "proctor.cli", "coin", "--flips", "30", "--out", str(tmp_path / "verb")],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "logging to tensorboard" in r.stderr
    acc = EventAccumulator(str(tmp_path / "verb" / "tensorboard"))
    acc.Reload()
    assert {"coin/seed 0/accuracy", "coin/seed 1/accuracy"} <= set(acc.Tags()["scalars"])


def test_bad_or_missing_trackers_are_one_line_before_the_run(suite, tmp_path, monkeypatch):
    assert_user_error(invoke("--log-to", "neptune", "run", suite, "--out", tmp_path / "a"), "--log-to", "neptune")
    assert not (tmp_path / "a").exists()
    monkeypatch.setitem(__import__("sys").modules, "wandb", None)  # as if wandb were not installed
    assert_user_error(invoke("run", suite, "--out", tmp_path / "b", "--log-to", "wandb"), "wandb", "pip install")
    assert not (tmp_path / "b").exists()


def _wandb_records(path: Path) -> list:
    """The records of a W&B offline run file (`run-ID.wandb`), parsed with W&B's own protobuf schema. The file is a
    7-byte W&B header (":W&B", magic, version) followed by a LevelDB log: 32 KiB blocks of chunks, each with a 7-byte
    header (crc32c, little-endian length, type: 1 full, 2 first, 3 middle, 4 last); wandb 0.31 writes it from its Go
    core and ships no Python reader, so the test reads the framing itself."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = path.read_bytes()
    assert data[:4] == b":W&B", path
    block, pos, pending, out = 32768, 7, b"", []
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # a block's tail too short for a header is padding
            pos += block - pos % block
            continue
        length, kind = int.from_bytes(data[pos + 4:pos + 6], "little"), data[pos + 6]
        chunk, pos = data[pos + 7:pos + 7 + length], pos + 7 + length
        if kind == 0:  # zero fill at the end of a block
            continue
        pending += chunk
        if kind in (1, 4):
            rec = pb.Record()
            rec.ParseFromString(pending)
            out.append(rec)
            pending = b""
    return out


def test_a_suite_run_is_logged_to_wandb_offline_and_read_back(suite, tmp_path):
    """`--log-to wandb`: an offline run under RUN_DIR/wandb (no network), whose records carry the unit numbers, the
    SAE's history (its own step kept as proctor_step, as W&B's step only goes up), the scorecard and the spec
    settings, and never a secret."""
    import json

    pytest.importorskip("wandb")
    run_dir = tmp_path / "run"
    r = invoke("--log-to", "wandb", "run", suite, "--out", run_dir, "--json")
    obj = last_json(r)
    assert "logging to wandb" in r.stderr
    (path,) = (run_dir / "wandb").rglob("run-*.wandb")
    records = _wandb_records(path)
    history = []
    for rec in records:
        if rec.WhichOneof("record_type") == "history":
            history.append({(i.key or "/".join(i.nested_key)): json.loads(i.value_json) for i in rec.history.item})
    config = {i.key: i.value_json for rec in records if rec.WhichOneof("record_type") == "config"
              for i in rec.config.update}
    units = _units(run_dir)
    coin0, sae = units[("coin", "seed", 0)], units[("tinysae", "sae", None)]
    merged = {k: v for h in history for k, v in h.items()}
    assert merged["coin/seed 0/accuracy"] == pytest.approx(coin0.result["accuracy"])
    assert merged["tinysae/sae/seconds"] == pytest.approx(sae.seconds)
    fvu = [(h["proctor_step"], h["tinysae/sae/train/history/fvu"]) for h in history
           if "tinysae/sae/train/history/fvu" in h]
    assert fvu == [(e["step"], pytest.approx(e["fvu"])) for e in sae.result["train"]["history"]]
    card = {row["technique"]: row for row in obj["scorecard"]}
    assert merged["scorecard/tiny SAE/random rows/FVU"] == pytest.approx(card["tiny SAE"]["value"])
    assert json.loads(config["coin.flips"]) in (50, "50") and "tinysae.api_key" not in config
    assert [rec.exit.exit_code for rec in records if rec.WhichOneof("record_type") == "exit"] == [0]
    for f in (run_dir / "wandb").rglob("*"):
        if f.is_file():
            assert SECRET.encode() not in f.read_bytes(), f
