"""Sample grids: tiled with NumPy and written with Pillow, readable, with each image where it belongs."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from PIL import Image

from upspec.runner.reporting.image_grid import CELL
from upspec.runner.reporting.image_grid import GAP
from upspec.runner.reporting.image_grid import HEADER
from upspec.runner.reporting.image_grid import image_grid


def test_a_grid_holds_every_image_enlarged_in_its_row_and_column(tmp_path):
    rng = np.random.default_rng(0)
    grey = rng.random((3, 16, 16, 1)).astype("float32")
    rgb = rng.random((3, 16, 16, 3)).astype("float32")
    path = image_grid([("input", grey), ("model", rgb)], tmp_path / "samples.png")
    picture = np.asarray(Image.open(path).convert("RGB"))
    scale = CELL // 16
    cell = 16 * scale
    assert picture.shape == (HEADER + 3 * (cell + GAP) + GAP, 2 * (cell + GAP) + GAP, 3)
    for row in range(3):
        top = HEADER + row * (cell + GAP)
        for col, images in enumerate((grey, rgb)):
            left = GAP + col * (cell + GAP)
            shown = picture[top:top + cell:scale, left:left + cell:scale]
            want = (np.repeat(images[row], 3 // images.shape[-1], axis=-1) * 255 + 0.5).astype("uint8")
            np.testing.assert_array_equal(shown, want)
    assert (picture[:HEADER] < 128).any()  # the column titles


def test_values_outside_0_1_are_clipped_and_extra_channels_dropped(tmp_path):
    images = np.stack([np.full((8, 8, 5), 2.0), np.full((8, 8, 5), -1.0)]).astype("float32")
    picture = np.asarray(Image.open(image_grid([("x", images)], tmp_path / "g.png")))
    scale = -(-CELL // 8)
    assert (picture[HEADER:HEADER + 8 * scale, GAP:GAP + 8 * scale] == 255).all()
    second = HEADER + 8 * scale + GAP
    assert (picture[second:second + 8 * scale, GAP:GAP + 8 * scale] == 0).all()


def test_drawing_a_grid_does_not_import_matplotlib(tmp_path):
    code = ("import sys, numpy as np; from upspec.runner.reporting.image_grid import image_grid; "
            f"image_grid([('a', np.zeros((2, 4, 4, 1)))], {str(tmp_path / 'g.png')!r}); "
            "print('matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_labels_are_written_under_their_images(tmp_path):
    from upspec.runner.reporting.image_grid import LABEL

    images = np.zeros((2, 16, 16, 1), "float32")
    plain = np.asarray(Image.open(image_grid([("a", images), ("b", images)], tmp_path / "plain.png")))
    labelled = np.asarray(Image.open(image_grid([("a", images), ("b", images)], tmp_path / "labelled.png",
                                                labels=[["30.1 dB", ""], ["", "28.4 dB"]])))
    cell = 16 * (CELL // 16)
    assert labelled.shape[0] == plain.shape[0] + 2 * LABEL
    first_label = labelled[HEADER + cell:HEADER + cell + LABEL, GAP:GAP + cell]
    empty_label = labelled[HEADER + cell:HEADER + cell + LABEL, 2 * GAP + cell:2 * GAP + 2 * cell]
    assert (first_label < 128).any() and (empty_label == 255).all()
