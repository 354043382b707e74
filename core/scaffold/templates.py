"""The files of a new plugin package. ``{name}``-style fields are filled in; literal braces are doubled."""

SETUP_CFG = """
[metadata]
name = {distribution}
version = attr: {module}.__version__
description = The {name!r} upsampling strategy for upspec
long_description = file: README.md
long_description_content_type = text/markdown

[options]
packages = {module}
python_requires = >=3.10
install_requires =
    upspec>={upspec_version}

[options.extras_require]
test =
    pytest

[options.entry_points]
upspec =
    {name} = {module}

[tool:pytest]
testpaths = tests
"""

PYPROJECT = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"
"""

INIT = '''
"""{distribution}: the {name!r} upsampling strategy, an upspec plugin.

upspec finds this module through the entry point in setup.cfg and calls the
hooks below. Keep imports of keras inside ``build`` so ``upspec --help`` stays fast.
"""

import upspec

__version__ = "0.1.0"


@upspec.hookimpl
def upspec_strategies():
    from {module}.strategy import {class_name}

    return [{class_name}()]
'''

STRATEGY = '''
"""The {name!r} strategy. Replace the body of ``build`` with your method; keep the signature's common
parameters, and add your own as keyword-only parameters with annotations and defaults (they become the
strategy's schema: validated in specs, listed by ``upspec plugins`` and ``upspec schema``)."""

from __future__ import annotations

from typing import Any

import upspec
from upspec import PositiveInt  # pydantic's type through upspec: importing this module imports no pydantic


class {class_name}(upspec.Strategy):
    """Nearest-neighbour resize, then ``repeat`` convolutions to ``filters`` (a starting point)."""

    name = "{name}"
    ranks = (1, 2, 3)            # spatial ranks supported
    per_axis_factors = True      # whether factor: [2, 3] is allowed

    def build(self, x: Any, *, factor: tuple[int, ...], filters: int, kernel_size: Any = 3,
              activation: str | None = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
              repeat: PositiveInt = 1, name: str) -> Any:
        import keras

        rank = len(factor)
        upsampling = {{1: keras.layers.UpSampling1D, 2: keras.layers.UpSampling2D, 3: keras.layers.UpSampling3D}}[rank]
        convolution = {{1: keras.layers.Conv1D, 2: keras.layers.Conv2D, 3: keras.layers.Conv3D}}[rank]
        y = upsampling(factor[0] if rank == 1 else factor, name=f"{{name}}_resize")(x)
        for i in range(repeat):
            last = i == repeat - 1
            y = convolution(filters, kernel_size, padding="same", activation=activation, use_bias=use_bias,
                            kernel_initializer=kernel_initializer,
                            name=name if last else f"{{name}}_conv{{i + 1}}")(y)
        return y
'''

TEST = '''
"""Tests of the {name!r} strategy: upspec's conformance kit, and a spec that uses it."""

from pathlib import Path

import upspec
from upspec.testing import conformance_tests

SPEC = Path(__file__).resolve().parent.parent / "specs" / "example.yaml"

# one test per conformance check: test_conformance[shapes], test_conformance[save and reload], ...
test_conformance = conformance_tests("{name}")


def test_the_example_spec_builds():
    model = upspec.build_model(upspec.load_spec(SPEC))
    assert model.output_shape == (None, 56, 56, 1)


def test_the_strategy_is_found_through_its_entry_point(upspec_conformance):
    assert upspec_conformance("{name}", checks=["signature"]) == ["signature"]
'''

SPEC = """
# upspec run specs/example.yaml   (train, evaluate and report on the default photos)
name: {name}-example
inputs:
  image: [28, 28, 1]
layers:
  - id: up
    upsample: {name}
    factor: 2
    filters: 16
    activation: relu
    repeat: 1
  - id: out
    layer: Conv2D
    filters: 1
    kernel_size: 3
    padding: same
    activation: sigmoid
compile:
  optimizer: adam
  loss: mean_squared_error
"""

README = """
# {distribution}

The `{name}` upsampling strategy for [upspec](https://pypi.org/project/upspec/).

```bash
pip install -e '.[test]' && python -m pytest    # the conformance kit and the example spec
upspec plugins                                  # lists {name} ({distribution} 0.1.0)
upspec run specs/example.yaml                   # train and evaluate it on real photos
upspec sweep specs/example.yaml --strategies {name},nearest,transpose
```

In a spec:

```yaml
- id: up
  upsample: {name}
  factor: 2
  filters: 16
  repeat: 1      # this strategy's own parameter
```

Edit `{module}/strategy.py`; `tests/` runs upspec's conformance kit on it
(shapes over ranks and factors, config round trip, gradients, training, save
and reload in a fresh process). To publish: `python -m build` and
`twine upload dist/*`.
"""

GITIGNORE = """
__pycache__/
*.py[cod]
*.egg-info/
build/
dist/
.venv/
.pytest_cache/
runs/
"""

FILES = {
    ".gitignore": GITIGNORE,
    "setup.cfg": SETUP_CFG,
    "pyproject.toml": PYPROJECT,
    "README.md": README,
    "{module}/__init__.py": INIT,
    "{module}/strategy.py": STRATEGY,
    "tests/test_{name}.py": TEST,
    "specs/example.yaml": SPEC,
}
