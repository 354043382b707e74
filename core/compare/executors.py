"""Where a sweep's jobs run: in this process one after another, or as Ray tasks on a cluster.

An executor takes :class:`~upspec.compare.jobs.SweepJob` objects and yields ``(job, row, error)`` as each job
ends (``error`` is None on success). Jobs are independent: a failed one does not stop the others, and the
rows come back to the driver, which writes the comparison.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from typing import Callable
from typing import Iterable
from typing import Iterator

from .jobs import SweepJob
from .jobs import run_job
from ..errors import UpspecError

EXECUTORS = ("local", "ray")
RAY_EXTRA = "pip install 'upspec[ray]'"

Outcome = tuple[SweepJob, "dict[str, Any] | None", "BaseException | None"]
Started = Callable[[SweepJob], None]


class LocalExecutor:
    """One job after another in this process (the default: no extra dependency, no start-up cost)."""

    def run(self, jobs: Iterable[SweepJob], started: Started = lambda job: None) -> Iterator[Outcome]:
        for job in jobs:
            started(job)
            try:
                yield job, run_job(job), None
            except Exception as error:  # noqa: BLE001 - reported with the job's name; the others go on
                yield job, None, error


@dataclass
class RayExecutor:
    """Each job a Ray task, ``cpus`` / ``gpus`` reserved per task; ``address`` None starts a local cluster
    (or uses the one this process already joined)."""

    address: str | None = None
    cpus: float = 1
    gpus: float = 0
    announce: Callable[[str], None] = lambda line: None

    def run(self, jobs: Iterable[SweepJob], started: Started = lambda job: None) -> Iterator[Outcome]:
        ray = import_ray()
        owned = not ray.is_initialized()  # started here, so shut down here; a cluster joined by the caller stays
        if owned:
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR, runtime_env={"env_vars": {"TF_CPP_MIN_LOG_LEVEL": "3"}})
        resources = ray.cluster_resources()
        self.announce(f"ray: {'joined ' + self.address if self.address else 'a local cluster'} with "
                      f"{resources.get('CPU', 0):g} CPUs and {resources.get('GPU', 0):g} GPUs; each job reserves "
                      f"{self.cpus:g} CPU(s) and {self.gpus:g} GPU(s)")
        try:
            yield from self._gather(ray, jobs, started)
        finally:
            if owned:
                ray.shutdown()

    def _gather(self, ray: Any, jobs: Iterable[SweepJob], started: Started) -> Iterator[Outcome]:
        task = ray.remote(num_cpus=self.cpus, num_gpus=self.gpus, max_retries=0)(run_job_in_worker)
        pending: dict[Any, SweepJob] = {}
        for job in jobs:
            pending[task.remote(job)] = job
            started(job)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            job = pending.pop(ready[0])
            try:
                yield job, ray.get(ready[0]), None
            except ray.exceptions.RayTaskError as error:
                yield job, None, error.cause if isinstance(error.cause, BaseException) else error
            except ray.exceptions.RayError as error:  # the worker died (killed, out of memory)
                yield job, None, error


def run_job_in_worker(job: SweepJob) -> dict[str, Any]:
    """:func:`run_job` in a fresh worker process: load the driver's unpublished plugins first."""
    from ..registry.registry import local_plugins
    from ..registry.registry import use_local_plugins

    if local_plugins() != tuple(job.plugins):
        use_local_plugins(job.plugins)
    return run_job(job)


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UpspecError(f"--executor ray needs Ray, which is not installed: {RAY_EXTRA}") from None
    return ray


def make_executor(name: str, *, address: str | None = None, cpus_per_trial: float | None = None,
                  gpus_per_trial: float | None = None,
                  announce: Callable[[str], None] = lambda line: None) -> LocalExecutor | RayExecutor:
    if name == "local":
        if address or cpus_per_trial is not None or gpus_per_trial is not None:
            raise UpspecError("--address, --cpus-per-trial and --gpus-per-trial are for --executor ray")
        return LocalExecutor()
    if name == "ray":
        import_ray()
        return RayExecutor(address=address, cpus=1 if cpus_per_trial is None else cpus_per_trial,
                           gpus=gpus_per_trial or 0, announce=announce)
    from ..errors import available

    raise UpspecError(f"unknown executor {name!r} ({available(EXECUTORS, name)})")
