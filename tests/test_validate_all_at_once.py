"""``validate`` catches, all at once and at the line that must change, what ``run`` would refuse later
(issue #27, item 3)."""

from __future__ import annotations

import numpy as np

from conftest import invoke_upspec

HELD_BACK = """\
name: bad
inputs:
  image: [16, 16, 3]
layers:
  - id: up
    upsample: nearest
    factor: 2
    filters: 8
    kernel_size: 3
  - id: out
    inputs: [nowhere]
    layer: Conv2D
    filters: 4
    kernel_size: 3
    padding: same
compile:
  optimizer: adamm
  loss: mean_squared_eror
data:
  source: image
  task: superresolution
  options:
    path: imgs
"""


def _validate(tmp_path, text):
    (tmp_path / "bad.yaml").write_text(text)
    return invoke_upspec("validate", "bad.yaml", cwd=tmp_path)


def test_every_held_back_mistake_fails_validate_at_once_at_its_line(tmp_path):
    done = _validate(tmp_path, HELD_BACK)
    assert done.returncode == 2
    err = done.stderr
    assert "bad.yaml:11:14: error: entry 'out' takes input 'nowhere', which is not defined" in err
    assert "bad.yaml:17:14: error: unknown optimizer 'adamm'" in err and "did you mean 'adam'" in err
    assert "bad.yaml:18:9: error: unknown loss 'mean_squared_eror'" in err and "did you mean 'mean_squared_error'" in err
    assert "bad.yaml:20:11: error: unknown data source 'image'" in err and "did you mean 'images'" in err
    assert "bad.yaml:21:9: error: unknown task 'superresolution'" in err and "did you mean 'super_resolution'" in err


def _images(folder, sizes, broken=()):
    from PIL import Image

    folder.mkdir()
    rng = np.random.default_rng(0)
    for i, size in enumerate(sizes):
        Image.fromarray((rng.random((size, size, 3)) * 255).astype("uint8")).save(folder / f"img{i}.png")
    for name in broken:
        (folder / name).write_bytes(b"not an image")


def test_an_output_with_the_wrong_channels_is_reported_at_its_filters(tmp_path):
    _images(tmp_path / "imgs", [40, 40, 40])
    fixed = HELD_BACK.replace("[nowhere]", "[up]").replace("adamm", "adam").replace("eror", "error") \
        .replace("source: image\n", "source: images\n").replace("superresolution", "super_resolution")
    done = _validate(tmp_path, fixed)
    assert done.returncode == 2
    assert "bad.yaml:13:14: error: the data cannot feed this model" in done.stderr
    assert "outputs 4 channels" in done.stderr and "set the output entry's filters to 3" in done.stderr


def test_every_bad_image_of_a_folder_is_reported_at_once(tmp_path):
    _images(tmp_path / "imgs", [40, 40, 10, 12], broken=["broken.png"])
    fixed = HELD_BACK.replace("[nowhere]", "[up]").replace("adamm", "adam").replace("eror", "error") \
        .replace("source: image\n", "source: images\n").replace("superresolution", "super_resolution") \
        .replace("filters: 4", "filters: 3")
    done = _validate(tmp_path, fixed)
    assert done.returncode == 2
    assert done.stderr.count("bad.yaml:23:11: error: the data cannot feed this model") == 3
    assert "broken.png: not a readable image" in done.stderr
    assert "img2.png is 10x10" in done.stderr and "img3.png is 12x12" in done.stderr


def test_a_spec_without_a_data_section_gets_a_warning_and_strict_makes_it_an_error(tmp_path):
    text = HELD_BACK.split("data:")[0].replace("[nowhere]", "[up]").replace("adamm", "adam").replace("eror", "error")
    done = _validate(tmp_path, text)
    assert done.returncode == 0 and "warning: `upspec run` would refuse the default data" in done.stderr
    strict = invoke_upspec("validate", "--strict", "bad.yaml", cwd=tmp_path)
    assert strict.returncode == 2


def test_run_reports_the_channel_mismatch_at_the_output_filters_too(tmp_path):
    _images(tmp_path / "imgs", [40, 40, 40])
    fixed = HELD_BACK.replace("[nowhere]", "[up]").replace("adamm", "adam").replace("eror", "error") \
        .replace("source: image\n", "source: images\n").replace("superresolution", "super_resolution")
    (tmp_path / "bad.yaml").write_text(fixed)
    done = invoke_upspec("run", "bad.yaml", "--quiet", cwd=tmp_path)
    assert done.returncode == 2 and "bad.yaml:13:14: error: the data cannot feed this model" in done.stderr


def test_a_plugin_metric_is_a_valid_loss_and_metric_names_stay_static(tmp_path):
    import subprocess
    import sys

    ok = HELD_BACK.split("data:")[0].replace("[nowhere]", "[up]").replace("adamm", "adam") \
        .replace("mean_squared_eror", "mean_squared_error\n  metrics: [psnr]").replace("filters: 4", "filters: 3")
    (tmp_path / "ok.yaml").write_text(ok)
    code = ("import sys; from upspec.cli.main import main\n"
            "try:\n    main(['validate', 'ok.yaml'])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "assert 'tensorflow' not in sys.modules\nprint('static')")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.stdout.strip().endswith("static"), done.stderr
    typo = invoke_upspec("validate", "ok.yaml", "--set", "compile.metrics=[accuarcy]", cwd=tmp_path)
    assert typo.returncode == 2 and "unknown metric 'accuarcy'" in typo.stderr and "did you mean 'accuracy'" in typo.stderr
