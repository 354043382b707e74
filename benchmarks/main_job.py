"""The README's main job, timed, and its model checked on a photo it never saw.

    python benchmarks/main_job.py

1. `upspec run specs/espcn_residual.yaml` in a fresh process: wall time and CPU time (user + system of the
   child processes; on a shared machine the CPU time is the honest measure of what the job costs).
2. Independently of upspec's evaluation code: scikit-image's stereo motorcycle photo (in no split) is
   downscaled x2 by PIL's bicubic, upscaled by `upspec predict` and by PIL's bicubic, and both are scored by
   PSNR on the BT.601 luminance with 2 border pixels shaved.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def y_psnr(a: np.ndarray, b: np.ndarray, border: int = 2) -> float:
    def y(image: np.ndarray) -> np.ndarray:
        return 16.0 + image.astype("float64") @ np.array([65.481, 128.553, 24.966]) / 255.0

    ya, yb = y(a)[border:-border, border:-border], y(b)[border:-border, border:-border]
    return float(10 * np.log10(255.0 ** 2 / np.mean((ya - yb) ** 2)))


def main() -> None:
    import skimage.data
    from PIL import Image

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "upspec", "run", str(ROOT / "specs" / "espcn_residual.yaml"),
                               "--quiet", "--out", str(tmp / "run")], capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(done.stdout)
        if done.returncode:
            sys.exit(done.stderr)
        print(f"main job: {wall:.0f} s wall, {cpu:.0f} s CPU (user + system), load average before: {os.getloadavg()[0]:.1f}")

        photo = skimage.data.stereo_motorcycle()[0][:500, :740]
        low = Image.fromarray(photo).resize((370, 250), Image.BICUBIC)
        low.save(tmp / "low.png")
        start = time.perf_counter()
        predicted = subprocess.run([sys.executable, "-m", "upspec", "predict", str(tmp / "run"), str(tmp / "low.png"),
                                    "-o", str(tmp / "up")], capture_output=True, text=True, env=env)
        if predicted.returncode:
            sys.exit(predicted.stderr)
        seconds = time.perf_counter() - start
        model = np.asarray(Image.open(tmp / "up" / "low.png"))
        bicubic = np.asarray(low.resize((740, 500), Image.BICUBIC))
        m, b = y_psnr(photo, model), y_psnr(photo, bicubic)
        print(f"held-out photo (stereo motorcycle, 740x500, x2): model {m:.2f} dB, PIL bicubic {b:.2f} dB, "
              f"gain {m - b:+.2f} dB (Y, 2-pixel border shaved); upspec predict took {seconds:.1f} s with start-up")


if __name__ == "__main__":
    main()
