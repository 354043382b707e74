"""``train.distribute``: training on several devices (``mirrored``) or workers (``multi_worker``).

TensorFlow's ``tf.distribute`` does the work. The model is built and compiled under the strategy's scope,
the spec's ``batch_size`` is the global batch (each replica gets ``batch_size / replicas``), and only the
chief writes the run folder; other workers write their checkpoints to a scratch folder that is removed.

``UPSPEC_CPU_DEVICES=N`` splits the CPU into N logical devices before TensorFlow starts, so ``mirrored``
runs (and is tested) on a machine without GPUs.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from typing import Any
from typing import ContextManager

from ...errors import UpspecError

CPU_DEVICES_ENV = "UPSPEC_CPU_DEVICES"


class DistributeError(UpspecError):
    """``train.distribute`` cannot be set up as asked."""


@dataclass
class Distribution:
    """The strategy a run trains under (None on one device) and this process's part in it."""

    kind: str = "none"
    strategy: Any = None
    chief: bool = True
    worker: int = 0
    workers: int = 1

    @property
    def replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync) if self.strategy is not None else 1

    @property
    def custom_loop(self) -> bool:
        """Keras 3's ``fit`` fails under MultiWorkerMirroredStrategy with two workers (keras-team/keras#20585);
        that path trains with upspec's own loop (``strategy.run`` and a ``GradientTape``)."""
        return self.kind == "multi_worker"

    def scope(self) -> ContextManager[Any]:
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()


def split_cpu() -> int:
    """Apply ``UPSPEC_CPU_DEVICES``: the number of logical CPU devices (1 when unset)."""
    value = os.environ.get(CPU_DEVICES_ENV, "").strip()
    if not value:
        return 1
    if not value.isdigit() or int(value) < 1:
        raise DistributeError(f"{CPU_DEVICES_ENV} must be a whole number of logical CPU devices, not {value!r}")
    count = int(value)
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is not None and len(current) == count:
        return count
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError:
        raise DistributeError(f"{CPU_DEVICES_ENV}={count} came too late: TensorFlow had already started its devices "
                              "in this process (set it in the environment of a fresh `upspec run`)") from None
    return count


def _check_backend() -> None:
    import keras

    if keras.backend.backend() != "tensorflow":
        raise DistributeError(f"train.distribute uses tf.distribute, which needs the TensorFlow backend; the active "
                              f"Keras backend is {keras.backend.backend()!r} (set KERAS_BACKEND=tensorflow, or "
                              "train.distribute: none)")


def tf_config() -> dict[str, Any]:
    """The cluster and this task from ``TF_CONFIG``, checked."""
    text = os.environ.get("TF_CONFIG", "").strip()
    example = ('{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}')
    if not text:
        raise DistributeError(f"train.distribute: multi_worker reads the cluster from TF_CONFIG, which is not set; "
                              f"set it on every worker, e.g. TF_CONFIG='{example}'")
    try:
        config = json.loads(text)
        cluster, task = config["cluster"], config["task"]
        members = cluster[task["type"]]
        if not 0 <= int(task["index"]) < len(members):
            raise IndexError(f"task index {task['index']} is not in the {len(members)} {task['type']} address(es)")
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise DistributeError(f"TF_CONFIG is not a valid cluster description ({type(exc).__name__}: {exc}); "
                              f"expected the form {example}") from None
    return config


def distribution(settings: Any) -> Distribution:
    """The strategy for ``settings.distribute`` (``TrainSettings``); nothing is imported for ``none``."""
    if settings.distribute == "none":
        return Distribution()
    _check_backend()
    import tensorflow as tf

    if settings.distribute == "mirrored":
        logical = split_cpu()
        devices = settings.devices
        if devices is None and logical > 1 and not tf.config.list_physical_devices("GPU"):
            devices = [device.name for device in tf.config.list_logical_devices("CPU")]
        try:
            strategy = tf.distribute.MirroredStrategy(devices=devices)
        except (ValueError, RuntimeError) as exc:
            raise DistributeError(f"train.devices {devices}: {exc}") from None
        dist = Distribution("mirrored", strategy)
    else:
        config = tf_config()
        task = config["task"]
        cluster = config["cluster"]
        chief = task["type"] == "chief" or (task["type"] == "worker" and int(task["index"]) == 0 and "chief" not in cluster)
        workers = sum(len(cluster.get(kind, [])) for kind in ("chief", "worker"))
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        dist = Distribution("multi_worker", strategy, chief=chief, worker=int(task["index"]), workers=workers)
    if settings.batch_size % dist.replicas:
        raise DistributeError(f"train.batch_size {settings.batch_size} is the global batch and must split evenly over "
                              f"the {dist.replicas} replicas; use a multiple of {dist.replicas}")
    return dist
