"""The guided and alias-free layers against the NumPy references of the papers' definitions (float32
rounding): StyleGAN3's filter design and upsampling, FeatUp's JBU, FADE, SAPA; their refusals; save and
reload in a fresh process; the JAX backend. Inputs are tiny."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from references import guided as ref

from upspec.layers import guided_ops
from upspec.layers.alias_free import DEFAULT_HALF_WIDTH
from upspec.layers.alias_free import AliasFreeUpsample
from upspec.layers.bilateral import JointBilateralUpsample
from upspec.layers.fade_sapa import FadeUpsample
from upspec.layers.fade_sapa import SapaUpsample
from upspec.layers.guided_checks import check_alias_free
from upspec.layers.guided_checks import check_guide

TESTS = os.path.dirname(os.path.abspath(__file__))
TOL = dict(rtol=2e-5, atol=2e-5)


def _np(t):
    return np.asarray(keras.ops.convert_to_numpy(t), dtype=np.float64)


def _randomise(layer, rng, scale=0.5):
    """Random named weights (scalars kept meaningful: temperature near 0, sigma near 1)."""
    values = {}
    for k, v in layer.named_weights().items():
        if k.endswith("sigma_spatial"):
            values[k] = np.float32(0.7 + rng.random())
        elif k.endswith("range_temp"):
            values[k] = np.float32(rng.normal() * 0.5)
        else:
            values[k] = (rng.normal(size=v.shape) * scale).astype("float32")
    layer.set_named_weights(values)
    return {k: np.asarray(v, np.float64) for k, v in layer.named_weights().items()}


# --------------------------------------------------------------------------- filter design

# (numtaps, cutoff, width, fs, radial): upspec's defaults for factors 2 and 4, an odd factor, and
# StyleGAN3-like absolute parameters (first layer of a 256px config: cutoff 2, sampling rate 16).
FILTER_CASES = [
    (12, 0.5, 2 * DEFAULT_HALF_WIDTH, 2, False),
    (24, 0.5, 2 * DEFAULT_HALF_WIDTH, 4, False),
    (9, 0.4, 0.2, 3, False),
    (12, 2.0, 2 * 4.0, 32, False),
    (12, 0.5, 2 * DEFAULT_HALF_WIDTH, 2, True),
    (8, 0.35, 0.3, 2, True),
]


@pytest.mark.parametrize("numtaps,cutoff,width,fs,radial", FILTER_CASES)
def test_filter_design_equals_stylegan3(numtaps, cutoff, width, fs, radial):
    pytest.importorskip("scipy")
    expected = ref.design_lowpass_filter(numtaps, cutoff, width, fs, radial)
    got = guided_ops.design_lowpass_filter(numtaps, cutoff, width, fs, radial)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-13)
    assert abs(got.sum() - 1) < 1e-12


def test_filter_design_known_numbers():
    """Spot values of scipy.signal.firwin(12, 0.5, width=2*0.5*(2**0.3-1), fs=2) (computed with SciPy 1.17)."""
    pytest.importorskip("scipy")
    h = guided_ops.design_lowpass_filter(12, 0.5, 2 * DEFAULT_HALF_WIDTH, 2)
    assert h.shape == (12,) and np.allclose(h, h[::-1])
    np.testing.assert_allclose(h[5], ref.design_lowpass_filter(12, 0.5, 2 * DEFAULT_HALF_WIDTH, 2)[5], rtol=1e-12)
    assert ref.design_lowpass_filter(1, 0.5, 0.2, 2) is None  # StyleGAN3's identity


def test_radial_odd_taps_centre_is_the_limit():
    scipy_special = pytest.importorskip("scipy.special")
    f = guided_ops.design_lowpass_filter(9, 0.4, 0.3, 3, radial=True)
    assert np.isfinite(f).all() and abs(f.sum() - 1) < 1e-12
    x = (np.arange(9) - 4) / 3
    r = np.hypot(*np.meshgrid(x, x))
    r[4, 4] = 1e-9  # the continuous limit at r -> 0
    g = scipy_special.j1(2 * 0.4 * np.pi * r) / (np.pi * r)
    beta = guided_ops.kaiser_beta(guided_ops.kaiser_atten(9, 0.3 / 1.5))
    g *= np.outer(np.kaiser(9, beta), np.kaiser(9, beta))
    np.testing.assert_allclose(f, g / g.sum(), rtol=1e-7)


def test_bessel_j1():
    scipy_special = pytest.importorskip("scipy.special")
    x = np.linspace(0, 60, 301)
    np.testing.assert_allclose(guided_ops.bessel_j1(x), scipy_special.j1(x), atol=1e-13)


# --------------------------------------------------------------------------- alias_free


@pytest.mark.parametrize("shape,factor,kwargs", [
    ((2, 7, 3), 2, {}),
    ((1, 6, 5, 2), 2, {}),
    ((1, 5, 4, 2), 4, {}),
    ((1, 5, 4, 2), [2, 3], {}),
    ((1, 5, 4, 2), [3, 1], {"taps": [9, 1]}),
    ((1, 6, 5, 2), 2, {"radial": True}),
    ((1, 5, 4, 2), 3, {"radial": True, "taps": 15}),
    ((1, 3, 4, 3, 2), [2, 1, 2], {"cutoff": 0.4, "half_width": 0.2}),
])
def test_alias_free_matches_reference(shape, factor, kwargs):
    pytest.importorskip("scipy")  # the reference designs the filter with StyleGAN3's SciPy code
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype("float32")
    layer = AliasFreeUpsample(factor, **kwargs)
    y = _np(layer(x))
    f = layer.factors
    expected = ref.alias_free_upsample(x, f, layer.taps_per_axis, layer.cutoff, layer.half_width, layer.radial)
    assert y.shape == (shape[0], *(n * k for n, k in zip(shape[1:-1], f)), shape[-1])
    np.testing.assert_allclose(y, expected, **TOL)
    assert not layer.trainable_weights


def test_alias_free_preserves_constants_and_dc_gain():
    x = np.ones((1, 12, 12, 1), "float32")
    y = _np(AliasFreeUpsample(2)(x))
    np.testing.assert_allclose(y[:, 8:-8, 8:-8], 1.0, atol=2e-3)  # away from the zero-padded border


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("kwargs,words", [
    (dict(factor=2, cutoff=0.6), "Nyquist"),
    (dict(factor=2, cutoff=0.0), "positive"),
    (dict(factor=3, taps=12), "needs odd taps"),
    (dict(factor=2, taps=13), "needs even taps"),
    (dict(factor=[2, 3], radial=True), "same on both axes"),
    (dict(factor=2, half_width=0.6), "output Nyquist"),
])
def test_alias_free_refuses(kwargs, words):
    with pytest.raises(ValueError, match=words):
        AliasFreeUpsample(**kwargs)


def test_guided_layers_refuse():
    x, g = keras.Input((4, 4, 3)), keras.Input((8, 8, 5))
    with pytest.raises(ValueError, match="must match"):
        FadeUpsample(2)([x, g])
    with pytest.raises(ValueError, match="size 8, but the output's is 4 \\* 4"):
        SapaUpsample(4)([x, g])
    with pytest.raises(ValueError, match="factor must be 2, 4, 8"):
        JointBilateralUpsample(3)
    with pytest.raises(ValueError, match="same factor on every axis"):
        JointBilateralUpsample([2, 4])
    with pytest.raises(ValueError, match="odd positive"):
        SapaUpsample(2, kernel_size=4)
    with pytest.raises(ValueError, match="variant"):
        SapaUpsample(2, variant="L")
    with pytest.raises(ValueError, match="radius"):
        JointBilateralUpsample(2, radius=3)([keras.Input((1, 1, 3)), keras.Input((2, 2, 3))])
    with pytest.raises(ValueError, match="rank"):
        check_guide("fade", (None, 4, 4, 3), (None, 8, 8, 8, 3), (2, 2))
    check_alias_free((2, 2), (12, 12), 0.5, DEFAULT_HALF_WIDTH, False)  # the defaults pass


# --------------------------------------------------------------------------- JBU, FADE, SAPA


def test_bicubic_up2_is_pytorch_bicubic():
    x = np.random.default_rng(1).normal(size=(2, 5, 4, 3)).astype("float32")
    np.testing.assert_allclose(_np(guided_ops.bicubic_up2(x)), ref.bicubic_torch(x, (10, 8)), **TOL)


@pytest.mark.parametrize("factor,final", [(2, False), (4, True)])
def test_jbu_matches_reference(factor, final):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 4, 5, 3)).astype("float32")
    g = rng.normal(size=(2, 4 * factor, 5 * factor, 4)).astype("float32")
    layer = JointBilateralUpsample(factor, key_dim=6, radius=2, final_fixup=final)
    layer([x, g])
    w = _randomise(layer, rng)
    y = _np(layer([x, g]))
    steps = [{k.split("/", 1)[1]: v for k, v in w.items() if k.startswith(f"step{s}/")} for s in range(layer.steps)]
    fin = {"w": w["final/w"], "b": w["final/b"]} if final else None
    expected = ref.jbu_stack(x.astype(np.float64), g.astype(np.float64), steps, radius=2, final=fin)
    assert y.shape == (2, 4 * factor, 5 * factor, 3)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("factor,lite", [((2, 2), False), ((4, 4), False), ((2, 3), False), ((2, 2), True)])
def test_fade_matches_reference(factor, lite):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 4, 3)).astype("float32")
    g = rng.normal(size=(2, 3 * factor[0], 4 * factor[1], 3)).astype("float32")
    layer = FadeUpsample(list(factor), kernel_size=3, embedding_dim=5, lite=lite)
    layer([x, g])
    w = _randomise(layer, rng)
    y = _np(layer([x, g]))
    np.testing.assert_allclose(y, ref.fade(x, g, w, factor, k=3, lite=lite), **TOL)


@pytest.mark.parametrize("variant,factor", [("B", (2, 2)), ("G", (2, 2)), ("cat", (2, 2)), ("B", (4, 4)), ("B", (2, 1))])
def test_sapa_matches_reference(variant, factor):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 4, 3)).astype("float32")
    g = rng.normal(size=(2, 3 * factor[0], 4 * factor[1], 5)).astype("float32")
    layer = SapaUpsample(list(factor), kernel_size=3, embedding_dim=6, variant=variant)
    layer([x, g])
    w = _randomise(layer, rng)
    y = _np(layer([x, g]))
    np.testing.assert_allclose(y, ref.sapa(x, g, w, factor, k=3, variant=variant), **TOL)


def test_fade_semi_shift_equals_the_literal_stride2_form():
    """FADE_H2L's four padded copies + stride-2 convolution == our 'same' conv + nearest-upsampled conv."""
    rng = np.random.default_rng(5)
    ce, cd = rng.normal(size=(1, 6, 8, 4)), rng.normal(size=(1, 3, 4, 4))
    wk, bk = rng.normal(size=(3, 3, 4, 9)), rng.normal(size=9)
    pads = [((1, 0), (1, 0)), ((1, 0), (0, 1)), ((0, 1), (1, 0)), ((0, 1), (0, 1))]  # (rows, cols), F.pad order
    literal = np.zeros((1, 6, 8, 9))
    for idx, (pr, pc) in enumerate(pads):
        p = np.pad(ce, [(0, 0), pr, pc, (0, 0)])
        a, c = divmod(idx, 2)
        for i in range(3):
            for j in range(4):
                literal[0, 2 * i + a, 2 * j + c] = np.einsum("yxe,yxek->k", p[0, 2 * i:2 * i + 3, 2 * j:2 * j + 3], wk) + bk
    literal += ref.nearest(ref.conv2d_same(cd, wk, bk), (2, 2))
    ours = _np(guided_ops.conv_same(ce.astype("float32"), wk.astype("float32"), bk.astype("float32")))
    ours += ref.nearest(ref.conv2d_same(cd, wk, bk), (2, 2))
    np.testing.assert_allclose(ours, literal, rtol=1e-4, atol=1e-4)


# --------------------------------------------------------------------------- save / reload


SAVE_SCRIPT = textwrap.dedent("""
    import sys, numpy as np
    import keras, upspec  # upspec registers upspec>... as soon as Keras is imported
    m = keras.saving.load_model({path!r})
    x, g, g4 = (np.load({npz!r})[k] for k in ("x", "g", "g4"))
    np.save({out!r}, np.concatenate([np.ravel(o) for o in m.predict([x, g, g4], verbose=0)]))
    print("layers:", sorted(type(l).__name__ for l in m.layers))
""")


def _model():
    x, g, g4 = keras.Input((4, 4, 3)), keras.Input((8, 8, 3)), keras.Input((16, 16, 2))
    outs = [AliasFreeUpsample(2)(x), AliasFreeUpsample([2, 1], radial=False, cutoff=0.45)(x),
            AliasFreeUpsample(2, radial=True)(x), JointBilateralUpsample(4, key_dim=4, radius=1)([x, g4]),
            FadeUpsample(2, kernel_size=3, embedding_dim=4, lite=True)([x, g]),
            SapaUpsample(2, kernel_size=3, embedding_dim=4, variant="G")([x, g])]
    return keras.Model([x, g, g4], outs)


def _run_script(script: str, env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env_extra}
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.slow
def test_save_and_reload_in_a_fresh_process(tmp_path):
    rng = np.random.default_rng(6)
    keras.utils.set_random_seed(6)
    m = _model()
    for layer in m.layers:
        if hasattr(layer, "named_weights") and layer.trainable_weights:
            _randomise(layer, rng, 0.3)
    x, g, g4 = (rng.normal(size=s).astype("float32") for s in [(1, 4, 4, 3), (1, 8, 8, 3), (1, 16, 16, 2)])
    expected = np.concatenate([np.ravel(o) for o in m.predict([x, g, g4], verbose=0)])
    path, npz, out = tmp_path / "m.keras", tmp_path / "in.npz", tmp_path / "out.npy"
    m.save(path)
    np.savez(npz, x=x, g=g, g4=g4)
    r = _run_script(SAVE_SCRIPT.format(path=str(path), npz=str(npz), out=str(out)),
                    {"KERAS_BACKEND": keras.backend.backend()})
    assert r.returncode == 0, r.stderr[-3000:]
    np.testing.assert_allclose(np.load(out), expected, rtol=1e-5, atol=1e-5)
    assert "FadeUpsample" in r.stdout and "JointBilateralUpsample" in r.stdout


JAX_SCRIPT = textwrap.dedent("""
    import json, sys, numpy as np
    sys.path.insert(0, {tests!r})
    import keras
    from references import guided as ref
    from upspec.layers import AliasFreeUpsample, FadeUpsample, JointBilateralUpsample, SapaUpsample
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 4, 4, 3)).astype("float32"); g = rng.normal(size=(2, 8, 8, 3)).astype("float32")
    res = {{"backend": keras.backend.backend()}}
    af = AliasFreeUpsample(2)
    res["alias_free"] = float(np.abs(np.asarray(af(x)) - ref.alias_free_upsample(x, (2, 2), (12, 12), 0.5, af.half_width)).max())
    fd = FadeUpsample(2, kernel_size=3, embedding_dim=4); fd([x, g])
    res["fade"] = float(np.abs(np.asarray(fd([x, g])) - ref.fade(x, g, fd.named_weights(), (2, 2), k=3)).max())
    sp = SapaUpsample(2, kernel_size=3, embedding_dim=4); sp([x, g])
    res["sapa"] = float(np.abs(np.asarray(sp([x, g])) - ref.sapa(x, g, sp.named_weights(), (2, 2), k=3)).max())
    # a short jit-compiled fit through all four layers
    xi, gi = keras.Input((4, 4, 3)), keras.Input((8, 8, 3))
    y = keras.layers.Add()([af(xi), fd([xi, gi]), sp([xi, gi]), JointBilateralUpsample(2, key_dim=4, radius=1)([xi, gi])])
    m = keras.Model([xi, gi], keras.layers.Conv2D(1, 3, padding="same")(y))
    m.compile("adam", "mse", jit_compile=True)
    h = m.fit([x, g], rng.normal(size=(2, 8, 8, 1)).astype("float32"), epochs=2, verbose=0)
    res["loss"] = [float(v) for v in h.history["loss"]]
    print(json.dumps(res))
""")


@pytest.mark.slow
def test_jax_backend_builds_matches_and_trains():
    pytest.importorskip("jax")
    r = _run_script(JAX_SCRIPT.format(tests=str(TESTS)), {"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"})
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["backend"] == "jax"
    assert max(res["alias_free"], res["fade"], res["sapa"]) < 1e-4
    assert all(np.isfinite(res["loss"]))
