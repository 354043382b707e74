"""Issue #22 on the runner's side: EQ-T in a run's measurements and the sweep's cost table, boundary IoU beside
mean IoU (metrics.json, report.md, the sweep's statistics), and the `coins` segmentation source."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import SPECS

TINY = {"epochs": 1, "steps_per_epoch": 2, "batch_size": 4}


def _square(shift: int = 0, size: int = 32) -> np.ndarray:
    """A one-channel target: a 16 x 16 square at (8, 8 + shift)."""
    mask = np.zeros((size, size, 1), "float32")
    mask[8:24, 8 + shift:24 + shift] = 1.0
    return mask


def test_boundary_iou_of_a_perfect_prediction_is_one():
    from upspec.runner.evaluation.image_metrics import boundary_iou

    assert boundary_iou(_square(), _square()) == 1.0
    classes = np.eye(3, dtype="float32")[np.random.default_rng(0).integers(0, 3, (40, 40))]
    assert boundary_iou(classes, classes) == 1.0
    # nothing in truth or output: no edge to miss
    assert boundary_iou(np.zeros((32, 32, 1)), np.zeros((32, 32, 1))) == 1.0


def test_boundary_iou_of_a_shifted_square_is_one_third():
    """32 x 32 image: d = round(0.02 x 45.3) = 1 pixel, each boundary is the square's 60-pixel inner ring; one
    column to the right they share the top and bottom rows but one pixel each (30): 30 / (60 + 60 - 30)."""
    from upspec.runner.evaluation.image_metrics import boundary_band
    from upspec.runner.evaluation.image_metrics import boundary_iou
    from upspec.runner.evaluation.image_metrics import mean_iou

    assert boundary_band((32, 32)) == 1
    assert boundary_iou(_square(), _square(1)) == pytest.approx(1 / 3)
    assert mean_iou(_square(), _square(1)) == pytest.approx(16 * 15 / (16 * 17))  # mean IoU barely sees it
    assert boundary_iou(_square(), 0.2 + 0.7 * _square()) == 1.0  # thresholded at 0.5 like mean IoU


def _rows(values: dict[str, list[tuple[float, float]]]) -> list[dict]:
    return [{"strategy": name, "seed": seed, "metrics": {"model": {"mean_iou": m, "boundary_iou": b}}}
            for name, pairs in values.items() for seed, (m, b) in enumerate(pairs)]


def test_the_sweep_statistics_give_boundary_iou_intervals_pairs_and_ties():
    from upspec.compare.statistics import compare
    from upspec.compare.statistics import markdown

    rows = _rows({"a": [(0.80, 0.50), (0.82, 0.52), (0.81, 0.54)],
                  "b": [(0.79, 0.40), (0.83, 0.41), (0.80, 0.42)],
                  "c": [(0.70, 0.49), (0.71, 0.53), (0.72, 0.52)]})
    comparison = compare(rows)
    assert comparison.primary == "mean_iou" and comparison.reference == "a"
    b = next(s for s in comparison.strategies if s.strategy == "b")
    c = next(s for s in comparison.strategies if s.strategy == "c")
    assert b.metrics["boundary_iou"].mean == pytest.approx(0.41) and b.metrics["boundary_iou"].low is not None
    assert b.difference["boundary_iou"].mean == pytest.approx(-0.11)
    text = markdown(comparison)
    header = text.splitlines()[0]
    assert "boundary_iou mean [95% CI]" in header and "boundary_iou vs `a` (paired) [95% CI]" in header
    line_b = next(line for line in text.splitlines() if line.startswith("| `b`"))
    line_c = next(line for line in text.splitlines() if line.startswith("| `c`"))
    assert "| tie |" in line_b and line_b.endswith(" worse |")  # tied on mean IoU, worse on boundaries
    assert "| worse |" in line_c and line_c.endswith(" tie |")  # worse on mean IoU, tied on boundaries
    assert "ties on boundary_iou: `c`." in text


def test_the_cost_table_shows_eqt_beside_cb_and_says_how_it_is_measured():
    from upspec.compare.comparison import MEASUREMENTS
    from upspec.compare.comparison import markdown_table
    from upspec.compare.comparison import strategy_means

    rows = [{"strategy": "nearest", "seed": s, "cb_init": 0.0, "cb_trained": 0.0, "eqt_init": "inf",
             "eqt_trained": "inf", "eqt_frac_init": 30.0 + s, "eqt_frac_trained": 31.0, "metrics": {"model": {}}}
            for s in range(2)]
    rows.append({"strategy": "transpose", "seed": 0, "cb_init": 0.5, "eqt_init": 20.0, "eqt_trained": "inf",
                 "eqt_frac_init": None, "metrics": {"model": {}}})
    rows.append({**rows[-1], "seed": 1, "eqt_init": 22.0, "eqt_trained": 40.0})
    means = strategy_means(rows)
    assert means[0]["eqt_init"] == "inf" and means[0]["eqt_frac_init"] == pytest.approx(30.5)
    assert means[1]["eqt_init"] == pytest.approx(21.0) and means[1]["eqt_trained"] == "inf"
    table = markdown_table(means).splitlines()
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    assert header.index("EQ-T at init (dB)") == header.index("CB trained") + 1
    assert {"EQ-T trained (dB)", "EQ-T sub-pixel at init (dB)", "EQ-T sub-pixel trained (dB)"} <= set(header)
    assert table[2].split("|")[-5:-1] == [" inf ", " inf ", " 30.5 ", " 31.0 "]
    assert table[3].split("|")[-5:-1] == [" 21.0 ", " inf ", " - ", " - "]
    assert "StyleGAN3" in MEASUREMENTS and "sub-pixel" in MEASUREMENTS and "inf = exact" in MEASUREMENTS


def _finite_or_inf(value: object) -> bool:
    return value == "inf" or (isinstance(value, float) and math.isfinite(value))


@pytest.mark.slow
def test_eqt_measurements_per_entry_at_init_and_trained():
    import keras

    from upspec.analysis.measure import eqt_measurements
    from upspec.builder.builder import build_model
    from upspec.modelspec.load import load_spec

    spec = load_spec(SPECS / "unet_guided.yaml", overrides=["layers.up2.upsample=jbu", "layers.up1.upsample=jbu"])
    keras.utils.set_random_seed(3)
    trained = build_model(spec)
    found = eqt_measurements(spec, trained=trained)
    assert [e["entry"] for e in found["eqt_entries"]] == ["up2", "up1"]
    for entry in found["eqt_entries"]:
        assert entry["strategy"] == "jbu"
        assert all(_finite_or_inf(entry[k]) for k in ("eqt_init", "eqt_frac_init", "eqt_trained", "eqt_frac_trained"))
    assert all(_finite_or_inf(found[k]) for k in ("eqt_init", "eqt_trained", "eqt_frac_init", "eqt_frac_trained"))
    untrained = eqt_measurements(load_spec(SPECS / "unet.yaml"))
    assert untrained["eqt_trained"] is None and _finite_or_inf(untrained["eqt_init"])
    # a 1-D model has no EQ-T (defined on images)
    assert eqt_measurements(load_spec(SPECS / "signal_1d.yaml"), trained=None) == {
        "eqt_init": None, "eqt_trained": None, "eqt_frac_init": None, "eqt_frac_trained": None, "eqt_entries": []}


def test_the_coins_source_is_a_real_photo_with_masks_split_by_rows_of_coins():
    from upspec.registry.registry import get_registry
    from upspec.runner.data.sources import get_source

    source = get_source("coins", get_registry())
    assert source.has_masks
    splits = {s: source.load(s, size=(64, 64), seed=0) for s in ("train", "validation", "test")}
    assert [len(splits[s].images) for s in ("train", "validation", "test")] == [1, 1, 2]
    assert [i.shape for i in splits["test"].images] == [(77, 208, 1), (77, 176, 1)]
    for images in splits.values():
        assert images.masks is not None
        for image, mask in zip(images.images, images.masks):
            assert image.shape[:2] == mask.shape and image.dtype == np.float32 and 0 <= image.min() < image.max() <= 1
            assert set(np.unique(mask)) == {0, 1} and 0.15 < mask.mean() < 0.6  # coins and ground, both present
            # the masks follow the photo: coins are bright, the ground dark
            assert image[..., 0][mask == 1].mean() > image[..., 0][mask == 0].mean() + 0.3
    # no coin crosses two splits: the cuts run along empty rows and columns of the mask
    from upspec.plugins.datasets import coins_with_mask

    image, mask = coins_with_mask()
    assert image.shape == (303, 384, 1) and not image.flags.writeable
    assert mask[150:152].sum() == mask[225:227].sum() == mask[226:, 207:209].sum() == 0
    assert mask[:151].sum() + mask[151:226].sum() + mask[226:].sum() == mask.sum()


@pytest.mark.slow
def test_a_segmentation_run_on_coins_reports_boundary_iou_beside_mean_iou(tmp_path):
    from upspec.runner.run import run

    result = run(SPECS / "unet.yaml", out=str(tmp_path / "run"), verbose=0, train_overrides=TINY,
                 overrides=["data.source=coins"])
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics == result.metrics
    assert set(metrics["model"]) == {"mean_iou", "boundary_iou"} and 0 <= metrics["model"]["boundary_iou"] <= 1
    assert metrics["boundary_band_px"] == 4  # 2 % of the diagonals of 77 x 208 and 77 x 176: 4.4, 3.8
    assert metrics["model"]["boundary_iou"] == pytest.approx(
        np.mean([i["model"]["boundary_iou"] for i in metrics["images"]]))
    assert [i["name"] for i in metrics["images"]] == ["coins-test-0", "coins-test-1"]
    report = (tmp_path / "run" / "report.md").read_text()
    assert "boundary_iou" in report and "Cheng et al. 2021" in report and "per image then averaged" in report
    assert "d = 4 pixels on these images" in report


def _guided_tables():
    import importlib
    import sys

    sys.path.insert(0, str(SPECS.parent / "benchmarks"))
    return importlib.import_module("guided_tables")


def test_the_guided_tables_say_what_the_numbers_support_and_replace_only_their_block(tmp_path):
    tables = _guided_tables()
    seg = [{"strategy": name, "seed": seed, "metrics": {"model": {"mean_iou": 0.8 + 0.01 * seed,
                                                                   "boundary_iou": b + 0.01 * seed + 0.002 * seed ** 2}}}
           for name, b in (("bilinear", 0.40), ("transpose", 0.30), ("jbu", 0.50), ("fade", 0.41))
           for seed in range(3)]
    text = tables.segmentation_findings(seg)
    assert "Best unguided strategy by mean boundary IoU: `bilinear`" in text
    assert "`jbu`: boundary IoU higher: +0.1000" in text and "`fade`: boundary IoU higher: +0.0100" in text
    assert "**reproduced here** for `fade`, `jbu`" in text
    tied = [{**r, "metrics": {"model": {**r["metrics"]["model"], "boundary_iou": 0.4 + 0.05 * (-1) ** r["seed"]
                                                                                 * (r["strategy"] == "jbu")}}}
            for r in seg if r["strategy"] in ("bilinear", "jbu")]
    assert "**not reproduced at this budget**" in tables.segmentation_findings(tied)
    gan = [{"strategy": name, "seed": seed, "eqt_init": eqt, "eqt_trained": eqt, "eqt_frac_init": frac + seed,
            "eqt_frac_trained": frac, "metrics": {"generator": {"fd": 100.0, "peak_ratio": 1.0, "spectral_distance": 0.1},
                                                  "untrained_generator": {"peak_ratio": 2.0},
                                                  "held_out_real": {"fd": 5.0, "peak_ratio": 0.7, "spectral_distance": 0.0}}}
           for name, eqt, frac in (("alias_free", 40.0, 39.0), ("transpose", "inf", 18.0)) for seed in range(2)]
    section = tables.generation_section(gan, "upspec sweep ...")
    assert "| `transpose` | 2 | inf | inf |" in section and "| held-out real digits |" in section
    assert "`alias_free` 39.5 dB against `transpose` 18.5 dB: **higher than every other**" in section
    doc = tmp_path / "strategies.md"
    doc.write_text("# Page\n\nkept above\n")
    tables.update_block(doc, "## First\n")
    tables.update_block(doc, "## Second\n")
    page = doc.read_text()
    assert page.startswith("# Page\n\nkept above\n") and "## Second" in page and "## First" not in page
    assert page.count(tables.BEGIN) == page.count(tables.END) == 1
    assert tables.command_line("coins", "full", 3) == (
        "upspec sweep specs/unet_guided.yaml --strategies transpose,bilinear,pixel_shuffle,dysample,carafe,fade,sapa,jbu "
        "--seeds 3 --epochs 8 --steps 100 --batch-size 8 --set data.source=coins")
