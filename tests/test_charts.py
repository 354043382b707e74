"""Line charts drawn with Pillow: sizes, where the lines land, non-finite values, log axes, no matplotlib."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from upspec.charts import COLOURS
from upspec.charts import MARGIN
from upspec.charts import PANEL
from upspec.charts import Panel
from upspec.charts import Series
from upspec.charts import line_chart
from upspec.charts import linear_ticks
from upspec.charts import log_ticks
from upspec.charts import nice_step
from upspec.charts import tick_label


def pixels(path):
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def coloured(picture, colour, tolerance=40):
    return (np.abs(picture - np.array(colour)).sum(axis=-1) < tolerance)


def test_one_panel_per_entry_side_by_side(tmp_path):
    panels = [Panel("loss", [Series("train", [1, 2, 3], [3.0, 2.0, 1.0])]),
              Panel("psnr", [Series("train", [1, 2, 3], [20.0, 21.0, 22.0])]),
              Panel("ssim", [Series("train", [1, 2, 3], [0.5, 0.6, 0.7])])]
    path = line_chart(panels, tmp_path / "curves.png")
    assert path == tmp_path / "curves.png"
    assert Image.open(path).size == (3 * PANEL[0], PANEL[1])
    picture = pixels(path)
    for i in range(3):  # each panel has its line, in the first colour, inside its own plot area
        part = picture[:, i * PANEL[0]:(i + 1) * PANEL[0]]
        assert coloured(part, COLOURS[0]).sum() > 100


def test_a_falling_series_is_drawn_from_top_left_to_bottom_right(tmp_path):
    path = line_chart([Panel("loss", [Series("train", [1, 10], [10.0, 0.0], markers=False)])], tmp_path / "c.png")
    ys, xs = np.nonzero(coloured(pixels(path), COLOURS[0]))
    left, right = xs < np.median(xs), xs > np.median(xs)
    assert ys[left].mean() < ys[right].mean()  # image rows grow downwards
    plot_left, plot_right = MARGIN["left"], PANEL[0] - MARGIN["right"]
    assert plot_left - 4 <= xs.min() and xs.max() <= plot_right + 4


def test_each_series_has_its_own_colour_and_a_legend(tmp_path):
    series = [Series(f"s{i}", [1, 2, 3, 4], [i + 1.0, i + 1.5, i + 1.2, i + 2.0]) for i in range(4)]
    picture = pixels(line_chart([Panel("four", series)], tmp_path / "c.png"))
    for colour in COLOURS[:4]:
        assert coloured(picture, colour).sum() > 50
    bare = pixels(line_chart([Panel("four", [Series("", s.x, s.y) for s in series])], tmp_path / "d.png"))
    assert (picture != bare).any(axis=-1).sum() > 500  # the labels' legend: a box and its text


def test_many_series_get_one_legend_in_the_last_panel(tmp_path):
    series = [Series(f"strategy-{i}", [1, 2], [1.0 + i, 2.0 + i]) for i in range(9)]
    bare = [Series("", s.x, s.y) for s in series]
    picture = pixels(line_chart([Panel("a", series), Panel("b", series)], tmp_path / "c.png"))
    unlabelled = pixels(line_chart([Panel("a", bare), Panel("b", bare)], tmp_path / "d.png"))
    first = slice(0, PANEL[0])
    last = slice(PANEL[0], 2 * PANEL[0])
    assert (picture[:, first] == unlabelled[:, first]).all()
    assert (picture[:, last] != unlabelled[:, last]).any(axis=-1).sum() > 500


def test_nan_breaks_the_line_and_does_not_stretch_the_axis(tmp_path):
    clean = pixels(line_chart([Panel("l", [Series("a", [1, 2, 3, 4], [1.0, 2.0, 3.0, 4.0])])], tmp_path / "a.png"))
    broken = pixels(line_chart([Panel("l", [Series("a", [1, 2, 3, 4], [1.0, 2.0, math.nan, 4.0])])],
                               tmp_path / "b.png"))
    assert coloured(broken, COLOURS[0]).sum() < coloured(clean, COLOURS[0]).sum()  # two segments are missing
    assert coloured(broken, COLOURS[0]).sum() > 0


def test_a_log_axis_leaves_out_values_at_or_below_zero_and_says_so(tmp_path):
    path = line_chart([Panel("loss", [Series("a", [1, 2, 3], [0.0, 0.1, 0.01])], log=True)], tmp_path / "c.png")
    assert coloured(pixels(path), COLOURS[0]).sum() > 0
    nothing = line_chart([Panel("loss", [Series("a", [1, 2], [-1.0, 0.0])], log=True)], tmp_path / "d.png")
    assert not coloured(pixels(nothing), COLOURS[0]).any()  # nothing to draw, and no crash


@pytest.mark.parametrize("values", [[5.0], [2.0, 2.0, 2.0], [0.0, 0.0]])
def test_single_points_and_flat_series_are_drawn(tmp_path, values):
    path = line_chart([Panel("p", [Series("a", list(range(1, len(values) + 1)), values)])], tmp_path / "c.png")
    assert coloured(pixels(path), COLOURS[0]).sum() > 10


def test_ticks_are_round_numbers_inside_the_range():
    assert nice_step(10, 5) == 2
    assert nice_step(0.07, 5) == pytest.approx(0.02)
    assert linear_ticks(0.3, 4.7, integer=True) == [1, 2, 3, 4]
    assert linear_ticks(-1.0, 1.0) == pytest.approx([-1.0, -0.5, 0.0, 0.5, 1.0])
    assert log_ticks(0.0009, 2.0) == pytest.approx([0.001, 0.01, 0.1, 1.0])
    assert log_ticks(0.011, 0.09) == pytest.approx([0.02, 0.05])
    assert tick_label(0.0001) == "1e-4" and tick_label(0.25) == "0.25" and tick_label(200000.0) == "2e5"


@pytest.mark.parametrize(("low", "high", "labels"), [
    (1e5, 2e5, ["1.0e5", "1.2e5", "1.4e5", "1.6e5", "1.8e5", "2.0e5"]),
    (1.2e-4, 1.8e-4, ["1.2e-4", "1.4e-4", "1.6e-4", "1.8e-4"]),  # a super-resolution MSE
    (35.1, 35.7, ["35.2", "35.4", "35.6"]),
    (0.3, 4.7, ["1", "2", "3", "4"]),
])
def test_neighbouring_tick_labels_never_read_the_same(low, high, labels):
    from upspec.charts import _spacing

    ticks = linear_ticks(low, high)
    assert [tick_label(t, _spacing(ticks)) for t in ticks] == labels


def test_a_failed_write_leaves_the_old_chart_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "c.png"
    target.write_bytes(b"old")

    def broken_save(self, fp, *args, **kwargs):
        with open(fp, "wb") as handle:
            handle.write(b"half a png")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        line_chart([Panel("p", [Series("a", [1, 2], [1.0, 2.0])])], target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["c.png"]


def test_the_runs_curves_do_not_import_matplotlib(tmp_path):
    code = f"""
import sys, pathlib, numpy as np
from upspec.runner.reporting.report import learning_curves
from upspec.runner.reporting.sweep_folder import overlaid_curves
from upspec.gan.pictures import curves_png
from upspec.gan.pictures import spectrum_plot
folder = pathlib.Path({str(tmp_path)!r})
rows = [{{'epoch': '1', 'loss': '0.5', 'val_loss': '0.6'}}, {{'epoch': '2', 'loss': '0.3', 'val_loss': '0.4'}}]
learning_curves(rows, folder / 'l.png', 'super_resolution')
(folder / 'a').mkdir()
(folder / 'a' / 'history.csv').write_text('epoch,loss,val_loss\\n1,0.5,0.6\\n2,0.3,0.4\\n')
overlaid_curves(folder, [{{'strategy': 'a', 'run': 'a'}}])
gan = [{{'epoch': str(e), 'd_loss': '1.2', 'g_loss': '0.8', 'd_real': '0.6', 'd_fake': '0.4'}} for e in (1, 2)]
curves_png(gan, folder / 'gan.png')
f = np.linspace(0, 0.5, 17)
spectrum_plot({{'a': (f, np.exp(-10 * f))}}, folder / 'spectrum.png', [0.25])
print('matplotlib' in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr
    assert Image.open(tmp_path / "l.png").size == (PANEL[0], PANEL[1])  # one panel: loss, validation beside it
    assert Image.open(tmp_path / "learning_curves.png").size == (2 * PANEL[0], PANEL[1])
    assert Image.open(tmp_path / "gan.png").size == (2 * PANEL[0], PANEL[1])
    assert (tmp_path / "spectrum.png").stat().st_size > 1000
