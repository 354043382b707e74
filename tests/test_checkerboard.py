"""Checkerboard measurements, and the published claims they reproduce.

Odena, Dumoulin, Olah (2016), "Deconvolution and Checkerboard Artifacts", Distill;
Aitken et al. (2017), "Checkerboard artifact free sub-pixel convolution";
Sugawara, Shiota, Kiya (2018/2019), checkerboard-free CNN super-resolution with a zero-order hold.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import upspec
from conftest import SPECS
from conftest import invoke_upspec
from upspec.analysis.checkerboard import aliasing_energy
from upspec.analysis.checkerboard import phase_variance

SEEDS = (0, 1, 2, 3, 4)


def _seed_spec(strategy="transpose", *overrides):
    return upspec.load_spec(SPECS / "seed_transpose.yaml", strategy=strategy, overrides=list(overrides))


def _count_overlaps(kernel, stride, size=16):
    """Independently of Keras: how many (input, kernel tap) pairs write each output of a 1-D transpose
    convolution, 'same' padding as Keras/TensorFlow computes it; the 2-D count is the outer product."""
    out_len = size * stride
    pad_total = max(kernel - stride, 0)
    pad_before = pad_total // 2
    counts = np.zeros(out_len)
    for i in range(size):
        for k in range(kernel):
            o = i * stride + k - pad_before
            if 0 <= o < out_len:
                counts[o] += 1
    return np.outer(counts, counts)


def test_phase_variance_of_a_known_checkerboard():
    amplitude = 0.3
    i, j = np.meshgrid(np.arange(32), np.arange(32), indexing="ij")
    image = (1 + amplitude * (-1.0) ** (i + j))[None, :, :, None]
    assert phase_variance(image, (2, 2)) == pytest.approx(amplitude / np.sqrt(1 + amplitude**2), rel=1e-9)
    assert phase_variance(np.full((1, 32, 32, 3), 0.4), (2, 2)) == 0.0
    stripes = np.tile([1.0, 1.0, 2.0], 16)[None, :, None]  # 1-D, period 3
    assert phase_variance(stripes, (3,)) > 0.3


def test_aliasing_energy_finds_the_checkerboard_frequencies():
    i, j = np.meshgrid(np.arange(32), np.arange(32), indexing="ij")
    checker = ((-1.0) ** (i + j))[None, :, :, None]
    assert aliasing_energy(checker, (2, 2)) == pytest.approx(1.0)
    smooth = np.sin(2 * np.pi * i / 32)[None, :, :, None]
    assert aliasing_energy(smooth, (2, 2)) < 1e-20


@pytest.mark.parametrize(("kernel", "expected"), [(3, 4.0), (4, 1.0)])
def test_odena_overlap_ratio_of_transpose_convolution(kernel, expected):
    from upspec.analysis.measure import entry_overlap
    from upspec.analysis.checkerboard import overlap_ratio

    independent = overlap_ratio(_count_overlaps(kernel, 2)[None, :, :, None], (2, 2))
    tool = entry_overlap(upspec.registry.registry.get_registry().strategy("transpose"),
                         {"kernel_size": kernel}, (2, 2))
    assert independent == expected
    assert tool == expected


@pytest.mark.slow
def test_odena_resize_convolution_is_artifact_free_and_transpose_is_not():
    from upspec.analysis.measure import cb_at_init

    nearest = cb_at_init(_seed_spec("nearest"), SEEDS)["up"]
    transpose = cb_at_init(_seed_spec("transpose"), SEEDS)["up"]
    assert len(nearest) == len(transpose) == 5
    assert max(nearest) < 1e-5
    assert min(transpose) > 0.3


@pytest.mark.slow
def test_aitken_icnr_is_artifact_free_and_plain_initialisation_is_not():
    from upspec.analysis.measure import cb_at_init

    icnr = cb_at_init(_seed_spec("pixel_shuffle"), SEEDS)["up"]
    plain = cb_at_init(_seed_spec("pixel_shuffle", "layers.up.icnr=false"), SEEDS)["up"]
    assert max(icnr) < 1e-5
    assert min(plain) > 0.3


@pytest.mark.slow
def test_sugawara_zero_order_hold_removes_the_transpose_checkerboard():
    from upspec.analysis.measure import cb_at_init

    assert max(cb_at_init(_seed_spec("transpose_zoh"), SEEDS)["up"]) < 1e-5


@pytest.mark.slow
def test_checkerboard_command_on_a_spec_and_on_a_trained_run(tmp_path):
    done = invoke_upspec("checkerboard", str(SPECS / "unet.yaml"), "--seeds", "2", "--json", "--out",
                         str(tmp_path / "cb"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [e["entry"] for e in report["entries"]] == [e.id for e in upspec.load_spec(SPECS / "unet.yaml").layers
                                                       if e.upsample]
    for entry in report["entries"]:
        assert len(entry["cb_init"]) == 2 and entry["cb_trained"] is None
        assert (tmp_path / "cb" / f"{entry['entry']}_constant_input.png").stat().st_size > 0
    assert json.loads((tmp_path / "cb" / "checkerboard.json").read_text()) == report

    run_dir = tmp_path / "run"
    trained = invoke_upspec("run", str(SPECS / "seed_transpose.yaml"), "--quiet", "--out", str(run_dir),
                            "--set", "train.epochs=1", "--set", "train.steps_per_epoch=3", "--set", "train.batch_size=4",
                            "--set", "data.test_patches=4", "--set", "data.validation_patches=4", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    measured = invoke_upspec("checkerboard", str(run_dir), "--seeds", "2", cwd=tmp_path)
    assert measured.returncode == 0, measured.stderr
    assert "up         transpose          2x2" in measured.stdout and "4.00" in measured.stdout
    assert "aliasing energy at the period-2x2 frequencies: predictions" in measured.stdout
    folder = run_dir / "checkerboard"  # a run's measurements go inside it
    assert not (tmp_path / "runs").exists()
    saved = json.loads((folder / "checkerboard.json").read_text())
    assert saved["trained"]
    (entry,) = saved["entries"]
    from upspec.analysis.measure import measure
    from upspec.runner.artefacts.models import load_model

    # the number reported is the trained model's own, measured again here from the saved model
    (again,) = measure(upspec.load_spec(run_dir / "spec.yaml"), model=load_model(run_dir / "model.keras"), seeds=(0,))
    assert entry["cb_trained"] == pytest.approx(again.cb_trained, rel=1e-4)
    assert 0 < entry["cb_trained"] < 1 and entry["cb_trained"] not in entry["cb_init"]


@pytest.mark.parametrize("strategy", ["transpose", "pixel_shuffle", "bilinear"])
def test_initialisations_measured_together_equal_each_built_alone(strategy):
    """cb_at_init builds one copy of the entry per seed in one model: each copy is initialised exactly as the
    entry built on its own after that seed."""
    from upspec.analysis.measure import initial_response
    from upspec.analysis.measure import initial_responses
    from upspec.analysis.measure import upsample_entries

    registry = upspec.registry.registry.get_registry()
    ((node, factor, source),) = upsample_entries(_seed_spec(strategy), registry)
    together = initial_responses(node, factor, source, registry, (0, 1, 2))
    alone = [initial_response(node, factor, source, registry, seed) for seed in (0, 1, 2)]
    assert len(together) == 3
    for a, b in zip(together, alone):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(together[0], together[1])  # the seeds do differ


def test_repeated_seeds_are_measured_once_and_returned_in_order():
    from upspec.analysis.measure import initial_responses
    from upspec.analysis.measure import upsample_entries

    registry = upspec.registry.registry.get_registry()
    ((node, factor, source),) = upsample_entries(_seed_spec("transpose"), registry)
    zero, one, again = initial_responses(node, factor, source, registry, (0, 1, 0))
    np.testing.assert_array_equal(zero, again)
    assert not np.array_equal(zero, one)
