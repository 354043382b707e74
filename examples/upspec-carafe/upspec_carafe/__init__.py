"""upspec-carafe: the CARAFE upsampling strategy as an upspec plugin.

Registered through the entry point group ``upspec`` (see setup.cfg); upspec
calls the hooks below. Nothing here imports Keras, so ``upspec --help`` and
``upspec plugins`` stay fast.
"""

import upspec

__version__ = "0.1.0"


@upspec.hookimpl
def upspec_strategies():
    from upspec_carafe.strategy import Carafe

    return [Carafe()]


@upspec.hookimpl
def upspec_layers():
    # an import path, resolved only when a spec uses `layer: CarafeReassembly`
    return {"CarafeReassembly": "upspec_carafe.layers:CarafeReassembly"}
