"""A user's data files that cannot feed the model: a spec error at data:, naming the file, before any training."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from upspec import SpecError
from upspec.runner.data.sources import DataError
from upspec.runner.data.files import read_image
from upspec.runner.data.files import read_npz


def npz(tmp_path: Path, **arrays) -> str:
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    return str(path)


def grey(n=6, size=32):
    return np.random.default_rng(0).random((n, size, size)).astype("float32")


@pytest.mark.parametrize(("arrays", "message"), [
    ({"y": grey()}, "has no array 'x' (it has: y)"),
    ({"x": np.arange(10.0)}, "array 'x' has shape (10,); images are N x H x W or N x H x W x C"),
    ({"x": np.array([["a", "b"]] * 4)}, "array 'x' has dtype <U1; images must be numbers"),
    ({"x": np.zeros((6, 32, 32, 5))}, "array 'x' has 5 channels"),
    ({"x": np.zeros((0, 32, 32))}, "array 'x' has 0 image(s); at least 3 are needed"),
    ({"x": grey() * 3}, "floats must be in [0, 1]"),
    ({"x": np.full((4, 32, 32), np.nan)}, "contains NaN or infinite values"),
    ({"x": np.zeros((6, 32, 32), bool)}, "array 'x' has dtype bool"),
    ({"x": grey(size=4)}, "each image is 4x4, smaller than the 28x28 patches the model needs"),
], ids=["no-x", "1-d", "strings", "five-channels", "empty", "range", "nan", "bool", "too-small"])
def test_bad_npz_is_named(tmp_path, arrays, message):
    path = npz(tmp_path, **arrays)
    with pytest.raises(DataError) as caught:
        read_npz(path, (28, 28))
    assert str(caught.value).startswith(path) and message in str(caught.value)


def test_pickled_arrays_are_never_loaded(tmp_path):
    marker = tmp_path / "unpickled"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    path = tmp_path / "evil.npz"
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("x.npy", "w") as f:
            np.lib.format.write_array(f, np.array([Evil()], dtype=object), allow_pickle=True)
    with pytest.raises(DataError) as caught:
        read_npz(str(path))
    assert "holds Python objects (pickled data), which upspec never loads" in str(caught.value)
    assert not marker.exists()


def test_text_file_named_npz(tmp_path):
    path = tmp_path / "fake.npz"
    path.write_text("hello")
    with pytest.raises(DataError, match=r"fake.npz is not an .npz archive"):
        read_npz(str(path))


@pytest.mark.parametrize(("content", "message"), [
    (b"not a png at all", "not a readable image (UnidentifiedImageError"),
    (None, "not a readable image (OSError"),
], ids=["fake", "truncated"])
def test_broken_images_are_named(tmp_path, content, message):
    from PIL import Image

    path = tmp_path / "broken.png"
    if content is None:
        Image.fromarray(np.zeros((64, 64, 3), "uint8") + 100).save(path)
        content = path.read_bytes()[:80]
    path.write_bytes(content)
    with pytest.raises(DataError) as caught:
        read_image(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_small_image_is_refused(tmp_path):
    from PIL import Image

    path = tmp_path / "small.png"
    Image.fromarray(np.zeros((8, 8, 3), "uint8")).save(path)
    with pytest.raises(DataError, match=r"small.png is 8x8, smaller than the 56x56 patches"):
        read_image(path, (56, 56))


def test_run_refuses_bad_data_at_the_spec_before_training(tmp_path):
    from upspec.runner.run import run

    path = npz(tmp_path, x=np.zeros((6, 32, 32, 2), "uint8"))
    spec = ("name: t\ninputs:\n  x: [14, 14, 1]\nlayers:\n  - {id: up, upsample: nearest, factor: 2, filters: 1}\n"
            f"data:\n  source: npz\n  options:\n    path: {path}\n")
    with pytest.raises(SpecError) as caught:
        run(spec, root=str(tmp_path / "runs"), verbose=0)
    (d,) = caught.value.diagnostics
    assert (d.line, d.column) == (9, 11)
    assert d.message.startswith(f"the data cannot feed this model: {path}: array 'x' has 2 channels")
    assert not (tmp_path / "runs").exists()
