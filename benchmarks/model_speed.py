"""``build_model``, the predict step and the train step of a spec's model against the same model written by
hand in Keras.

    python benchmarks/model_speed.py [--rounds 7] [--steps 50]

The hand-written model is the seed's program (specs/seed_transpose.yaml): ``Conv2DTranspose(32, 3, strides=2,
padding="same", activation="relu")`` then ``Conv2DTranspose(1, 3, padding="same", activation="sigmoid")``,
compiled with Adam, MSE and accuracy. Steps are timed ``--steps`` at a time on one batch of 16 real photo
patches (``predict_on_batch`` / ``train_on_batch``) after a warm-up that traces both models.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT  # noqa: E402
from common import interleaved  # noqa: E402
from common import machine  # noqa: E402
from common import framework_as_upspec_runs_it  # noqa: E402
from common import summary_table  # noqa: E402
from common import write_section  # noqa: E402

SPEC = ROOT / "specs" / "seed_transpose.yaml"


def hand_written() -> object:
    import keras

    image = keras.Input((28, 28, 1), name="image")
    x = keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu", name="up")(image)
    out = keras.layers.Conv2DTranspose(1, 3, padding="same", activation="sigmoid", name="out")(x)
    model = keras.Model(image, out, name="seed-transpose")
    model.compile(optimizer="adam", loss="mean_squared_error", metrics=["accuracy"])
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    framework_as_upspec_runs_it()
    import numpy as np

    from upspec.builder.builder import build_model
    from upspec.registry.registry import get_registry
    from upspec.run.task_data import evaluation_data
    from upspec.modelspec.load import load_spec

    registry = get_registry()
    spec = load_spec(SPEC, registry=registry)
    builds = interleaved({"upspec": lambda: build_model(spec, registry=registry), "hand-written": hand_written},
                         rounds=args.rounds, warmup=1)

    models = {"upspec": build_model(spec, registry=registry), "hand-written": hand_written()}
    assert [w.shape for w in models["upspec"].get_weights()] == [w.shape for w in models["hand-written"].get_weights()]
    x, y = (a[:16] for a in evaluation_data(spec, models["upspec"], registry).test)
    x, y = np.repeat(x, 1 + 16 // len(x), 0)[:16], np.repeat(y, 1 + 16 // len(y), 0)[:16]

    def steps(kind: str, name: str):
        model = models[name]
        if kind == "predict":
            return lambda: [model.predict_on_batch(x) for _ in range(args.steps)]
        return lambda: [model.train_on_batch(x, y) for _ in range(args.steps)]

    predict = interleaved({n: steps("predict", n) for n in models}, rounds=args.rounds, warmup=1)
    train = interleaved({n: steps("train", n) for n in models}, rounds=args.rounds, warmup=1)
    per_step = 1000 / args.steps
    body = f"""`python benchmarks/model_speed.py` ({SPEC.relative_to(ROOT)} against the same layers written by hand;
{args.rounds} interleaved rounds after one warm-up round; steps on one batch of 16 photo patches, {args.steps} per timing).

{machine()}

`build_model` (load-free: the spec is parsed once; assembled and compiled) against `keras.Model(...)` + `compile`:

{summary_table(builds, "hand-written", unit="ms", scale=1000)}

Predict step (`predict_on_batch`, per step):

{summary_table(predict, "hand-written", unit="ms", scale=per_step)}

Train step (`train_on_batch`, per step):

{summary_table(train, "hand-written", unit="ms", scale=per_step)}
"""
    print(body)
    if not args.no_write:
        write_section("model_speed", "`build_model`, predict and train steps against hand-written Keras", body)


if __name__ == "__main__":
    main()
