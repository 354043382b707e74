"""Per-image PSNR and SSIM, usable by name in ``compile.metrics``."""

from __future__ import annotations

from typing import Any

from upspec import hookimpl


@hookimpl
def upspec_metrics() -> dict[str, Any]:
    from upspec.metrics.image import psnr
    from upspec.metrics.image import ssim

    return {"psnr": psnr, "ssim": ssim}
