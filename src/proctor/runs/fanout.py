"""Executors: where an experiment's pieces (shards: seeds, configurations) run. The run store stays with the driver.

    inline     in this process, one piece after another (the default)
    local      a bounded pool of local processes (`--executor local --workers N`)
    ray        tasks on a Ray cluster (`--executor ray --address HOST:PORT`, or a fresh local instance)

A piece runs in a worker against a scratch run store seeded with the experiment's finished units (so finished work
is skipped there too); the worker returns the units it computed and the driver writes them into the real store as
each piece finishes. A lost worker's piece is retried (Ray's task retries; the local pool resubmits it); a killed
driver loses only the pieces in flight, and rerunning the same command resumes from the store.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

from ..errors import ConfigError
from . import technique as techniques
from .store import RunStore, Unit

#: (experiment, kind, config, result, arrays, seconds): a unit as it travels between processes
Packed = tuple[str, str, dict, dict, dict, float]


@dataclass
class Piece:
    """One shard of one experiment, as sent to a worker."""

    type: str
    spec: dict
    """The spec's fields, run settings excluded from its dump (e.g. allow_failures, max_samples) included."""
    index: int
    label: str


def _pack(store: RunStore, unit: Unit) -> Packed:
    return (unit.experiment, unit.kind, unit.config, unit.result, store.arrays(unit.key), unit.seconds)


def run_piece(piece: Piece, finished: list[Packed]) -> list[tuple[str, Packed]]:
    """Worker side: run one piece in a scratch store; return [(label, unit)] for the units it computed."""
    tech = techniques.get(piece.type)
    spec = tech.spec.model_validate(piece.spec)
    computed: list[tuple[str, Unit]] = []
    with tempfile.TemporaryDirectory(prefix="proctor-piece-") as tmp, RunStore(tmp) as scratch:
        for experiment, kind, config, result, arrays, seconds in finished:
            scratch.put(experiment, kind, config, result, arrays, seconds)

        def on_unit(label: str, unit, was_computed: bool) -> None:
            if was_computed:
                computed.append((label, unit))

        if tech.run_shard is not None:
            tech.run_shard(spec, scratch, on_unit, piece.index)
        else:
            tech.run(spec, scratch, on_unit)
        return [(label, _pack(scratch, unit)) for label, unit in computed]


def pieces(spec) -> list[Piece]:
    tech = techniques.get(spec.type)
    n = tech.shards(spec) if tech.shards is not None and tech.run_shard is not None else 1
    # every field, also those a spec leaves out of its dump (run settings such as allow_failures): a worker must run
    # the experiment exactly as the driver would
    data = {name: getattr(spec, name) for name in type(spec).model_fields}
    return [Piece(spec.type, data, i, f"{spec.title} [{i + 1}/{n}]") for i in range(n)]


def _finished(store: RunStore, title: str) -> list[Packed]:
    return [_pack(store, u) for u in store.units(experiment=title)]


def _store_result(store: RunStore, returned: list[tuple[str, Packed]], on_unit) -> None:
    for label, (experiment, kind, config, result, arrays, seconds) in returned:
        unit = store.put(experiment, kind, config, result, arrays, seconds)
        on_unit(label, unit, True)


class InlineExecutor:
    name = "inline"

    def run_experiment(self, spec, store: RunStore, on_unit) -> None:
        techniques.get(spec.type).run(spec, store, on_unit)

    def close(self) -> None:
        pass


class LocalExecutor:
    """A bounded pool of worker processes (spawned, so each imports torch afresh and owns its threads)."""

    name = "local"

    def __init__(self, workers: int = 2, retries: int = 1):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        if workers < 1:
            raise ConfigError("--workers must be at least 1")
        self.workers, self.retries = workers, retries
        self._make = lambda: ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"))
        self.pool = self._make()

    def run_experiment(self, spec, store: RunStore, on_unit) -> None:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        todo = pieces(spec)
        finished = _finished(store, spec.title)
        attempts = {p.index: 0 for p in todo}
        futures = {self.pool.submit(run_piece, p, finished): p for p in todo}
        while futures:
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            for fut in done:
                piece = futures.pop(fut)
                try:
                    _store_result(store, fut.result(), on_unit)
                except BrokenProcessPool:
                    # a worker died (OOM, kill): the pool is unusable; rebuild it and resubmit what was in flight
                    attempts[piece.index] += 1
                    if attempts[piece.index] > self.retries:
                        raise ConfigError(f"{piece.label}: its worker died {attempts[piece.index]} times") from None
                    self.pool.shutdown(cancel_futures=True)
                    self.pool = self._make()
                    finished = _finished(store, spec.title)
                    inflight = [piece] + list(futures.values())
                    futures = {self.pool.submit(run_piece, p, finished): p for p in inflight}
                    break

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


class RayExecutor:
    """Pieces as Ray tasks. Ray is an extra (`pip install 'proctor[ray]'`), imported here only."""

    name = "ray"

    def __init__(self, address: str | None = None, retries: int = 3, num_cpus: float = 1.0):
        try:
            import ray
        except ImportError:
            raise ConfigError("--executor ray needs Ray: pip install 'proctor[ray]'") from None
        self.ray = ray
        if not ray.is_initialized():
            env = {k: os.environ[k] for k in ("PROCTOR_DATA", "PROCTOR_CACHE", "PROCTOR_TECHNIQUES", "PYTHONPATH",
                                              "PROCTOR_DEVICE", "HF_HUB_OFFLINE") if k in os.environ}
            try:
                ray.init(address=address, runtime_env={"env_vars": env}, include_dashboard=False,
                         logging_level="ERROR", log_to_driver=False)
            except ConnectionError as e:
                raise ConfigError(f"--address {address}: cannot reach a Ray cluster ({e})") from None
            self._owns = True
        else:
            self._owns = False
        self._task = ray.remote(max_retries=retries, num_cpus=num_cpus)(run_piece)

    def run_experiment(self, spec, store: RunStore, on_unit) -> None:
        finished = self.ray.put(_finished(store, spec.title))
        refs = {self._task.remote(p, finished): p for p in pieces(spec)}
        while refs:
            done, _ = self.ray.wait(list(refs), num_returns=1)
            for ref in done:
                piece = refs.pop(ref)
                try:
                    returned = self.ray.get(ref)
                except self.ray.exceptions.RayTaskError as e:
                    # the piece's own code failed: surface the original exception (a ProctorError stays one line)
                    cause = e.as_instanceof_cause()
                    raise (cause.cause if getattr(cause, "cause", None) else cause) from None
                except self.ray.exceptions.WorkerCrashedError:
                    raise ConfigError(f"{piece.label}: its Ray worker died on every retry") from None
                _store_result(store, returned, on_unit)

    def close(self) -> None:
        if self._owns:
            self.ray.shutdown()


def make_executor(name: str = "inline", *, workers: int = 2, address: str | None = None):
    if name == "inline":
        return InlineExecutor()
    if name == "local":
        return LocalExecutor(workers=workers)
    if name == "ray":
        return RayExecutor(address=address)
    raise ConfigError(f"--executor {name!r}: choose inline, local or ray")

