"""Plain ``keras.saving.load_model`` reads every model upspec saves, in a fresh process, after ``import upspec``."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import SPECS

def _builtin_strategies() -> list[str]:
    from upspec.registry.registry import build_registry

    return sorted(name for name, provided in build_registry().strategies.items() if provided.plugin.builtin)


STRATEGIES = _builtin_strategies()


def guided_seed_spec() -> dict:
    """seed_transpose.yaml with a guide for its upsampling: the input, resized to the output's size by a layer
    (so that --strategy leaves it alone)."""
    import yaml

    spec = yaml.safe_load((SPECS / "seed_transpose.yaml").read_text())
    spec["layers"].insert(0, {"id": "hr", "layer": "UpSampling2D", "size": 2, "interpolation": "bilinear"})
    spec["layers"][1].update(inputs="image", guide="hr")
    return spec


def _source(strategy: str):
    from upspec.registry.registry import get_registry

    return guided_seed_spec() if get_registry().strategy(strategy).takes_guide else SPECS / "seed_transpose.yaml"
#: variants whose non-default parameters put other custom layers into the model
VARIANTS = {"transpose-pytorch": ("transpose", ["layers.up.alignment=pytorch"]),
            "pixel_shuffle-blur": ("pixel_shuffle", ["layers.up.blur=true"]),
            "bilinear-align_corners": ("bilinear", ["layers.up.align_corners=true"]),
            "dysample-dynamic": ("dysample", ["layers.up.scope=dynamic"])}

LOADER = """
import json, sys
import numpy as np
{first}
x = np.load(sys.argv[1])
results = {{}}
for path in sys.argv[2:]:
    model = keras.saving.load_model(path)
    results[path] = model.predict(x, verbose=0).tolist()
print(json.dumps({{"results": results, "keras_before_upspec": {keras_first}}}))
"""


def _load_in_fresh_process(tmp_path, paths, *, keras_first: bool) -> dict:
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    first = "import keras\nimport upspec" if keras_first else "import upspec\nimport keras"
    script = LOADER.format(first=first, keras_first=keras_first)
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "x.npy"), *map(str, paths)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])["results"]


@pytest.mark.slow
@pytest.mark.parametrize("keras_first", [False, True], ids=["upspec-then-keras", "keras-then-upspec"])
def test_every_strategy_and_metric_model_loads_with_plain_keras(tmp_path, keras_first):
    import upspec

    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    expected = {}
    cases = {name: (name, []) for name in STRATEGIES} | VARIANTS
    for case, (strategy, overrides) in cases.items():
        model = upspec.build_model(_source(strategy), strategy=strategy, overrides=overrides)
        path = tmp_path / f"{case}.keras"
        model.save(path)
        expected[str(path)] = model.predict(x, verbose=0)
    metrics = upspec.build_model(SPECS / "seed_transpose.yaml", overrides=["compile.metrics=[psnr, ssim]"])
    metrics.fit(x, np.repeat(np.repeat(x, 2, 1), 2, 2), epochs=1, verbose=0)
    path = tmp_path / "metrics.keras"
    metrics.save(path)
    expected[str(path)] = metrics.predict(x, verbose=0)

    loaded = _load_in_fresh_process(tmp_path, list(expected), keras_first=keras_first)

    assert sorted(loaded) == sorted(expected)
    for path, prediction in loaded.items():
        np.testing.assert_allclose(np.array(prediction), expected[path], rtol=1e-5, atol=1e-6, err_msg=path)


@pytest.mark.slow
def test_a_run_trained_with_psnr_and_ssim_can_be_evaluated_predicted_exported_and_measured(tmp_path):
    from tests.conftest import invoke_upspec
    from tests.conftest import run_upspec

    fast = ["--set", "train.epochs=1", "--set", "train.steps_per_epoch=2", "--set", "train.batch_size=4",
            "--set", "data.test_patches=4", "--set", "data.validation_patches=4"]
    run_dir = tmp_path / "run"
    done = invoke_upspec("run", str(SPECS / "seed_transpose.yaml"), "--quiet", "--set", "compile.metrics=[psnr, ssim]",
                         *fast, "--out", str(run_dir), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]

    evaluated = run_upspec("evaluate", str(run_dir), "--json", cwd=tmp_path)  # a fresh process reads the metrics
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert 0 < json.loads(evaluated.stdout)["model"]["ssim"] <= 1

    np.savez(tmp_path / "x.npz", x=np.random.default_rng(1).random((3, 28, 28, 1)).astype("float32"))
    predicted = invoke_upspec("predict", str(run_dir / "model.keras"), str(tmp_path / "x.npz"), "-o",
                              str(tmp_path / "y.npz"), cwd=tmp_path)
    assert predicted.returncode == 0, predicted.stderr[-3000:]
    assert np.load(tmp_path / "y.npz")["y"].shape == (3, 56, 56, 1)

    exported = invoke_upspec("export", str(run_dir), "--format", "saved_model", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr[-3000:]
    assert (run_dir / "export" / "saved_model" / "saved_model.pb").is_file()

    measured = invoke_upspec("checkerboard", str(run_dir), "--seeds", "1", "--json", "--out", str(tmp_path / "cb"),
                             cwd=tmp_path)
    assert measured.returncode == 0, measured.stderr[-3000:]
    assert "up" in measured.stdout
