"""The corpus of bad inputs to ``predict``, ``evaluate`` and ``export``: each exits 2 naming the path, what is
wrong and what to do, as a bad image inside a training data folder already does; damaged checkpoints are
resumed from the previous one."""

from __future__ import annotations

import csv
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import SPECS
from conftest import invoke_upspec
from conftest import run_upspec
from upspec.errors import BadInputError
from upspec.errors import DamagedFileError


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, with no pixel data behind it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def good_png() -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype="uint8")).save(buffer, "PNG")
    return buffer.getvalue()


#: name -> (the file's bytes, what the message must say)
BAD_IMAGES = {
    "empty": (b"", "the file is empty, not an image"),
    "text": (b"hello, not an image\n", "not a readable image (UnidentifiedImageError"),
    "truncated": (good_png()[:60], "not a readable image"),
    "bomb": (png_header(30000, 30000), "its header claims more pixels than upspec reads"),
}


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory) -> Path:
    import keras

    folder = tmp_path_factory.mktemp("model")
    inputs = keras.Input((8, 8, 3))
    keras.Model(inputs, keras.layers.UpSampling2D(2)(inputs)).save(folder / "m.keras")
    return folder / "m.keras"


@pytest.mark.parametrize("kind", sorted(BAD_IMAGES))
def test_a_bad_image_to_predict_exits_2_naming_it(tmp_path, saved_model, kind):
    content, message = BAD_IMAGES[kind]
    image = tmp_path / f"{kind}.png"
    image.write_bytes(content)
    done = invoke_upspec("predict", str(saved_model), str(image), "-o", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    assert f"upspec: error: {image}: {message}" in done.stderr
    assert "hint:" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_the_library_message_is_kept_as_the_cause(tmp_path):
    from upspec.runner.artefacts.inputs import read_image_file

    image = tmp_path / "cut.png"
    image.write_bytes(good_png()[:60])
    with pytest.raises(BadInputError) as caught:
        read_image_file(image)
    assert caught.value.path == image and caught.value.__cause__ is not None


def test_an_output_path_that_is_a_file_exits_2(tmp_path, saved_model):
    image = tmp_path / "ok.png"
    image.write_bytes(good_png())
    taken = tmp_path / "taken"
    taken.write_text("mine")
    done = invoke_upspec("predict", str(saved_model), str(image), "-o", str(taken))
    assert done.returncode == 2, done.stderr
    assert f"{taken}: exists and is a file; the output must be a folder" in done.stderr
    assert taken.read_text() == "mine"


@pytest.mark.parametrize("damage", ["truncated", "empty", "not-a-zip"])
def test_a_damaged_model_is_named_as_damaged(tmp_path, saved_model, damage):
    content = saved_model.read_bytes()
    model = tmp_path / "m.keras"
    model.write_bytes({"truncated": content[: len(content) // 2], "empty": b"", "not-a-zip": b"x" * 100}[damage])
    image = tmp_path / "ok.png"
    image.write_bytes(good_png())
    for args in (["predict", str(model), str(image), "-o", str(tmp_path / "out")], ["export", str(model)]):
        done = invoke_upspec(*args)
        assert done.returncode == 2, done.stderr
        assert f"upspec: error: {model}: the file is damaged (" in done.stderr
        assert "File not found" not in done.stderr


def test_a_folder_that_is_not_a_run_folder_exits_2(tmp_path):
    image = tmp_path / "ok.png"
    image.write_bytes(good_png())
    (tmp_path / "empty").mkdir()
    done = invoke_upspec("predict", str(tmp_path / "empty"), str(image), "-o", str(tmp_path / "out"))
    assert done.returncode == 2 and f"{tmp_path / 'empty'} is neither a saved model nor a finished run folder" \
        in done.stderr
    exported = invoke_upspec("export", str(tmp_path / "empty"))
    assert exported.returncode == 2 and str(tmp_path / "empty") in exported.stderr


def test_evaluate_on_a_damaged_model_says_which_file_and_what_to_do(tmp_path):
    from upspec.runner.run import evaluate_run

    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "spec.yaml").write_text((SPECS / "seed_transpose.yaml").read_text())
    (run / "model.keras").write_bytes(b"PK\x03\x04 cut short")
    (run / "checkpoints" / "last.keras").write_bytes(b"")
    with pytest.raises(DamagedFileError) as caught:
        evaluate_run(run)
    assert str(caught.value).startswith(f"{run / 'model.keras'}: the file is damaged (")
    assert f"upspec train --resume {run}" in caught.value.hint


FAST = ["--set", "train.epochs=2", "--set", "train.steps_per_epoch=2", "--set", "train.batch_size=4",
        "--set", "data.validation_patches=4", "--set", "data.test_patches=4"]


@pytest.mark.slow
def test_a_damaged_checkpoint_resumes_from_the_previous_one(tmp_path):
    out = tmp_path / "run"
    first = run_upspec("train", str(SPECS / "seed_transpose.yaml"), "--quiet", "--out", str(out), *FAST)
    assert first.returncode == 0, first.stderr
    last, previous = out / "checkpoints" / "last.keras", out / "checkpoints" / "previous.keras"
    assert previous.is_file() and previous.stat().st_ino != last.stat().st_ino
    # the run "stopped" before its model was saved, and its last checkpoint was cut short
    for name in ("model.keras", "report.md"):
        (out / name).unlink()
    last.write_bytes(last.read_bytes()[:1000])
    resumed = run_upspec("train", "--resume", str(out), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert f"{last} is damaged (" in resumed.stdout + resumed.stderr and "resuming from" in resumed.stdout
    assert [r["epoch"] for r in csv.DictReader((out / "history.csv").read_text().splitlines())] == ["1", "2"]
    assert (out / "checkpoints" / "damaged-last.keras").is_file() and (out / "report.md").is_file()


def test_a_damaged_checkpoint_without_a_previous_one_exits_2_naming_it(tmp_path):
    out = tmp_path / "run"
    (out / "checkpoints").mkdir(parents=True)
    (out / "spec.yaml").write_text((SPECS / "seed_transpose.yaml").read_text())
    (out / "checkpoints" / "last.keras").write_bytes(b"PK\x03\x04 cut")
    (out / "checkpoints" / "state.json").write_text('{"epoch": 1}\n')
    done = invoke_upspec("train", "--resume", str(out), "--quiet")
    assert done.returncode == 2, done.stderr
    assert f"upspec: error: {out / 'checkpoints' / 'last.keras'}: the file is damaged (" in done.stderr
    assert "no whole earlier checkpoint is kept" in done.stderr and f"upspec run {out / 'spec.yaml'}" in done.stderr
