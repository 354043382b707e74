"""Every picture upspec writes goes through one helper: a PNG, written whole or not at all."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from upspec.figures import pyplot
from upspec.figures import save_figure


def test_save_figure_writes_a_png_and_frees_the_figure(tmp_path):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [1, 0])
    path = save_figure(fig, tmp_path / "sub" / "curve.png")
    assert path == tmp_path / "sub" / "curve.png"
    assert Image.open(path).size == (160, 80)  # 2 x 1 inches at 80 dpi
    assert not plt.fignum_exists(fig.number)
    assert [p.name for p in path.parent.iterdir()] == ["curve.png"]


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "curve.png"
    path.write_bytes(b"old")
    fig, ax = pyplot().subplots()
    ax.imshow(np.full((2, 2), np.nan))
    fig.savefig = lambda *args, **kwargs: (_ for _ in ()).throw(OSError("disk full"))
    with pytest.raises(OSError, match="disk full"):
        save_figure(fig, path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["curve.png"]
