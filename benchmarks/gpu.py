"""The main job's model on a GPU: achieved FLOP/s against the matmul peak, by batch size, precision and backend.

    KERAS_BACKEND=jax python benchmarks/gpu.py --out OUT          # then the same with KERAS_BACKEND=torch
    python benchmarks/gpu.py --write-from OUT/gpu_jax.json OUT/gpu_torch.json   # the README section
    KERAS_BACKEND=jax python benchmarks/gpu.py --quick            # rehearsal on the CPU (tiny sizes)

Needs no TensorFlow: it runs on Keras's JAX backend (XLA: Keras compiles every step with ``jit``) or its
PyTorch backend (eager; ``--jit on`` is ``torch.compile``). Each run writes ``gpu_<tag>.json`` under
``--out`` (after every row) and prints its table; ``--write-from`` merges one or more such files (or copies a
``.md``) into this folder's README section ``gpu``.

Peak: the best of several ``n x n`` matrix products (2 n^3 FLOPs each, n = 8192; random normal inputs; each
timing ``--peak-repeats`` back-to-back products, synchronized) in the backend's own library, for float32
as the framework computes it by default and with full float32 (JAX ``Precision.HIGHEST``; PyTorch with TF32
off and on), bfloat16 and float16; the relative error of each against float64 on 1024 x 1024 says whether
TF32 was used. Training: each spec's model is built as ``upspec run`` builds it
(``build_model(load_spec(path))`` under ``dtype_policy(precision)``) and trained with ``model.fit`` on random
data of its input and output shapes (speed does not depend on content), one untimed epoch (compilation)
then ``--epochs`` timed ones; step time is the median epoch over its steps. FLOPs per step = 3 x 2 x MACs
per example x batch (``upspec.analysis.macs``: the forward pass, the backward pass counted as twice it).
Inference: ``predict_on_batch`` of one batch (host to device and back included), median of repeats.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT  # noqa: E402
from common import cpu_name  # noqa: E402
from common import write_section  # noqa: E402

SPECS = ("specs/espcn_residual.yaml", "specs/unet.yaml")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
#: the peak a precision's convolutions are compared with (keys of ``peaks()``)
PEAK_OF = {"mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}
TITLE = "GPU: achieved FLOP/s against the matmul peak, by batch size, precision and backend"


# --- the device and its peaks ---------------------------------------------------------------------------

def backend() -> str:
    import keras

    return keras.backend.backend()


def sync() -> None:
    """Wait for the device's queued work (the timings read a host clock)."""
    if backend() == "torch":
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
    elif backend() == "jax":
        import jax

        jax.effects_barrier()


def nvidia_smi() -> str:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                              "--format=csv,noheader"], capture_output=True, text=True, timeout=20)
        return out.stdout.strip().replace("\n", "; ")
    except (OSError, subprocess.SubprocessError):
        return ""


def device_info() -> dict[str, Any]:
    import keras
    import numpy as np

    name = backend()
    versions = {"Python": platform.python_version(), "keras": keras.__version__, "numpy": np.__version__}
    devices = "CPU"
    tf32: dict[str, Any] = {}
    if name == "jax":
        import jax
        import jaxlib

        versions.update(jax=jax.__version__, jaxlib=jaxlib.__version__)
        devices = ", ".join(sorted({f"{d.platform}: {d.device_kind}" for d in jax.devices()}))
        tf32["jax_default_matmul_precision"] = str(getattr(jax.config, "jax_default_matmul_precision", None))
    elif name == "torch":
        import torch

        versions.update(torch=torch.__version__, cuda=str(torch.version.cuda))
        if torch.cuda.is_available():
            devices = "cuda: " + torch.cuda.get_device_name(0)
        tf32["torch.backends.cuda.matmul.allow_tf32"] = torch.backends.cuda.matmul.allow_tf32
        tf32["torch.backends.cudnn.allow_tf32"] = torch.backends.cudnn.allow_tf32
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "backend": name, "devices": devices, "nvidia_smi": nvidia_smi(),
            "cpu": f"{cpu_name()}, {cores} cores", "versions": versions, "tf32": tf32}


def _best(launch: Callable[[], Any], wait: Callable[[Any], None], flops: float, repeats: int, rounds: int) -> float:
    """FLOP/s: the best of ``rounds`` timings of ``repeats`` back-to-back launches (after two warm-ups)."""
    for _ in range(2):
        wait(launch())
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            result = launch()
        wait(result)
        best = min(best, (time.perf_counter() - start) / repeats)
    return flops / best


def _rel_error(product: Any, a: Any, b: Any) -> float:
    import numpy as np

    ref = a.astype(np.float64) @ b.astype(np.float64)
    return float(np.linalg.norm(product.astype(np.float64) - ref) / np.linalg.norm(ref))


def peaks(n: int, repeats: int, rounds: int, check: int = 1024) -> dict[str, dict[str, Any]]:
    """{key: {"label", "flops", "rel_error"}} for the backend's matrix product."""
    import numpy as np

    rng = np.random.default_rng(0)
    out: dict[str, dict[str, Any]] = {}
    name = backend()
    if name == "jax":
        import jax
        import jax.numpy as jnp
        import ml_dtypes

        cases = [("float32", "float32, JAX default precision", jnp.float32, None),
                 ("float32_highest", "float32, Precision.HIGHEST", jnp.float32, jax.lax.Precision.HIGHEST),
                 ("bfloat16", "bfloat16", jnp.bfloat16, None),
                 ("float16", "float16", jnp.float16, None)]
        host_types = {jnp.float32: np.float32, jnp.bfloat16: ml_dtypes.bfloat16, jnp.float16: np.float16}
        for key, label, dtype, precision in cases:
            product = jax.jit(lambda x, y, p=precision: jnp.matmul(x, y, precision=p))
            a = jax.device_put(rng.standard_normal((n, n), dtype=np.float32).astype(host_types[dtype]))
            b = jax.device_put(rng.standard_normal((n, n), dtype=np.float32).astype(host_types[dtype]))
            flops = _best(lambda: product(a, b), lambda r: r.block_until_ready(), 2 * n ** 3, repeats, rounds)
            ca = rng.standard_normal((check, check), dtype=np.float32).astype(host_types[dtype])
            cb = rng.standard_normal((check, check), dtype=np.float32).astype(host_types[dtype])
            error = _rel_error(np.asarray(product(jax.device_put(ca), jax.device_put(cb))), ca, cb)
            out[key] = {"label": label, "flops": flops, "rel_error": error}
            del a, b
    elif name == "torch":
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
        before = torch.backends.cuda.matmul.allow_tf32
        torch_cases = [("float32_highest", "float32, TF32 off (PyTorch's default for matmul)", torch.float32, False),
                 ("tf32", "float32, TF32 on (cuDNN's default for convolutions)", torch.float32, True),
                 ("bfloat16", "bfloat16", torch.bfloat16, before),
                 ("float16", "float16", torch.float16, before)]
        try:
            for key, label, dtype, tf32 in torch_cases:
                torch.backends.cuda.matmul.allow_tf32 = tf32
                a = torch.randn(n, n, device=device, dtype=dtype)
                b = torch.randn(n, n, device=device, dtype=dtype)
                wait = (lambda r: torch.cuda.synchronize()) if device == "cuda" else (lambda r: None)
                flops = _best(lambda: a @ b, wait, 2 * n ** 3, repeats, rounds)
                ca = torch.randn(check, check, device=device, dtype=dtype)
                cb = torch.randn(check, check, device=device, dtype=dtype)
                error = _rel_error((ca @ cb).float().cpu().numpy(), ca.float().cpu().numpy(), cb.float().cpu().numpy())
                out[key] = {"label": label, "flops": flops, "rel_error": error}
                del a, b
        finally:
            torch.backends.cuda.matmul.allow_tf32 = before
        # the model's float32 convolutions run through cuDNN, which uses TF32 when this flag is on
        out["float32"] = dict(out["tf32" if torch.backends.cudnn.allow_tf32 else "float32_highest"])
    else:
        a = rng.standard_normal((n, n), dtype=np.float32)
        out["float32"] = {"label": "float32, numpy", "rel_error": 0.0,
                          "flops": _best(lambda: a @ a, lambda r: None, 2 * n ** 3, repeats, rounds)}
    return out


# --- training and inference --------------------------------------------------------------------------------

def measure(spec_path: str, precision: str, batch: int, jit: bool | None, steps: int, epochs: int,
            infer_repeats: int, own_batch: int) -> dict[str, Any]:
    import keras
    import numpy as np

    from upspec.analysis.macs import multiply_accumulates
    from upspec.builder.builder import build_model
    from upspec.builder.precision import dtype_policy
    from upspec.modelspec.load import load_spec

    keras.utils.set_random_seed(0)
    with dtype_policy(precision):  # as the runner's model_scope: build under train.precision's policy
        model = build_model(load_spec(ROOT / spec_path))
    if jit is not None:  # as the runner's _use_settings: only an explicit train.jit_compile is applied
        model.jit_compile = jit
    macs = multiply_accumulates(model)
    rng = np.random.default_rng(0)
    x = rng.random((batch * steps, *model.input_shape[1:]), dtype=np.float32)
    y = rng.random((batch * steps, *model.output_shape[1:]), dtype=np.float32)

    class Clock(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.times: list[float] = []

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            sync()
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            sync()  # the logs are already numbers (Keras read them): the epoch's steps are done
            self.times.append(time.perf_counter() - self.start)

    clock = Clock()
    model.fit(x, y, batch_size=batch, epochs=1 + epochs, verbose=0, shuffle=False, callbacks=[clock])
    step = statistics.median(clock.times[1:]) / steps
    inputs = x[:batch]
    model.predict_on_batch(inputs)  # trace / compile
    infer = []
    for _ in range(infer_repeats):
        start = time.perf_counter()
        model.predict_on_batch(inputs)
        infer.append(time.perf_counter() - start)
    return {"spec": Path(spec_path).stem, "precision": precision, "batch": batch, "own_batch": own_batch,
            "jit": {None: "auto", True: "on", False: "off"}[jit], "jit_effective": str(model.jit_compile),
            "macs": macs, "steps": steps, "epochs": epochs, "first_epoch_s": clock.times[0],
            "epoch_s": clock.times[1:], "step_s": step, "train_per_s": batch / step,
            "flops": 6 * macs * batch / step, "infer_s": statistics.median(infer),
            "infer_per_s": batch / statistics.median(infer)}


# --- the tables ---------------------------------------------------------------------------------------------

def percent(fraction: float) -> str:
    return f"{100 * fraction:.1f}%" if fraction >= 0.01 else f"{100 * fraction:.2f}%"


def group_name(result: dict[str, Any]) -> str:
    meta = result["meta"]
    jit = result["args"]["jit"]
    if meta["backend"] == "jax":
        return "JAX, XLA (Keras's default on JAX)" if jit in ("auto", "on") else "JAX, jit_compile off (eager)"
    if meta["backend"] == "torch":
        return "PyTorch, eager (Keras's default on torch)" if jit in ("auto", "off") else \
            "PyTorch, jit_compile on (torch.compile)"
    return f"{meta['backend']}, jit_compile {jit}"


def compose(results: list[dict[str, Any]]) -> str:
    """The README section from one or more runs' JSON."""
    parts = []
    first = results[0]["meta"]
    where = f"GPU {first['nvidia_smi']} (name, driver, memory)" if first["nvidia_smi"] else first["devices"]
    parts.append(f"""`KERAS_BACKEND=jax python benchmarks/gpu.py --out OUT` (and `KERAS_BACKEND=torch`), then
`python benchmarks/gpu.py --write-from OUT/gpu_*.json`. Each spec's model is built as `upspec run` builds it and
trained with `model.fit` on random data of its shapes: one untimed epoch (compilation), then the median of
timed epochs; FLOP/s = 6 x MACs per example x batch / step time; inference is `predict_on_batch` of one
batch, host transfers included. % of peak: against the matrix-product peak of the same library and the
precision the model's convolutions compute in.

{first['date']}; {where}; host {first['cpu']}.""")
    seen_peaks = set()
    for result in results:
        meta, peak = result["meta"], result["peaks"]
        versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        head = f"**{group_name(result)}** ({meta['devices']}; {versions}"
        flags = "; ".join(f"`{k}` = {v}" for k, v in meta["tf32"].items())
        parts.append(head + (f"; {flags}" if flags else "") + f"; {meta['date']}).")
        if meta["backend"] not in seen_peaks and peak:
            seen_peaks.add(meta["backend"])
            n = result["args"]["peak_n"]
            lines = [f"Matrix-product peak ({meta['backend']}, {n} x {n}, best of {result['args']['peak_rounds']} "
                     f"timings of {result['args']['peak_repeats']} products):", "",
                     "| matmul | TFLOP/s | rel. error vs float64 (1024 x 1024) |", "|---|---|---|"]
            shown = set()
            for key, entry in peak.items():
                if entry["label"] in shown:
                    continue
                shown.add(entry["label"])
                lines.append(f"| {entry['label']} | {entry['flops'] / 1e12:.1f} | {entry['rel_error']:.1e} |")
            parts.append("\n".join(lines))
            if meta["backend"] == "jax" and "float32_highest" in peak:
                uses = peak["float32"]["rel_error"] > 10 * max(peak["float32_highest"]["rel_error"], 1e-7)
                parts.append(f"JAX's default precision for a float32 product {'uses' if uses else 'does not use'} "
                             f"TF32 here (error {peak['float32']['rel_error']:.1e} against "
                             f"{peak['float32_highest']['rel_error']:.1e} at HIGHEST); Keras passes no precision, "
                             "so the float32 model's convolutions get the default.")
        rows = result["rows"]
        if not rows:
            parts.append("No rows: " + "; ".join(result.get("failures", [])))
            continue
        lines = ["| model | precision | batch | step (ms) | train examples/s | TFLOP/s | % of peak "
                 "| inference examples/s | first epoch (s) |", "|---|---|---|---|---|---|---|---|---|"]
        for row in rows:
            if "error" in row:
                lines.append(f"| {row['spec']} | {row['precision']} | {row['batch']} | fails: {row['error']} "
                             "| | | | | |")
                continue
            ref = peak.get(PEAK_OF.get(row["precision"], "float32"))
            share = percent(row["flops"] / ref["flops"]) if ref else "-"
            lines.append(f"| {row['spec']} | {row['precision']} | {row['batch']} | {row['step_s'] * 1e3:.2f} | "
                         f"{row['train_per_s']:,.0f} | {row['flops'] / 1e12:.2f} | {share} | "
                         f"{row['infer_per_s']:,.0f} | {row['first_epoch_s']:.1f} |")
        parts.append("\n".join(lines))
        if result.get("failures"):
            parts.append("Not measured: " + "; ".join(result["failures"]))
    parts.append("What the numbers say (computed from the tables above):\n\n" + "\n".join(conclusions(results)))
    return "\n\n".join(parts) + "\n"


def conclusions(results: list[dict[str, Any]]) -> list[str]:
    out = []
    for result in results:
        peak = result["peaks"]
        rows = [r for r in result["rows"] if "error" not in r]
        for spec in dict.fromkeys(r["spec"] for r in rows):
            for precision in dict.fromkeys(r["precision"] for r in rows if r["spec"] == spec):
                mine = sorted((r for r in rows if r["spec"] == spec and r["precision"] == precision),
                              key=lambda r: r["batch"])
                if len(mine) < 2:
                    continue
                own = next((r for r in mine if r["batch"] == r.get("own_batch")), mine[0])
                best = max(mine, key=lambda r: r["train_per_s"])
                big = mine[-1]
                ref = peak.get(PEAK_OF.get(precision, "float32"))
                share = (lambda r: f", {percent(r['flops'] / ref['flops'])} of peak") if ref else (lambda r: "")
                gain = best["train_per_s"] / own["train_per_s"]
                growth = big["step_s"] / own["step_s"]
                verdict = (f"the default batch leaves the device mostly idle: batch {big['batch']} "
                           f"({big['batch'] // own['batch']}x the examples) takes only {growth:.1f}x the step time"
                           if gain >= 2 else "larger batches gain little")
                out.append(f"- {group_name(result)}, {spec}, {precision}: default batch {own['batch']}: "
                           f"{own['step_s'] * 1e3:.2f} ms a step, {own['train_per_s']:,.0f} examples/s"
                           f"{share(own)}; best batch {best['batch']}: {best['train_per_s']:,.0f} examples/s"
                           f"{share(best)}, {gain:.1f}x; {verdict}.")
    # precision and backend at each spec's best
    best_of: dict[tuple[str, str, str], float] = {}
    for result in results:
        for r in result["rows"]:
            if "error" not in r:
                key = (r["spec"], group_name(result), r["precision"])
                best_of[key] = max(best_of.get(key, 0.0), r["train_per_s"])
    for spec in dict.fromkeys(k[0] for k in best_of):
        ranked = sorted(((v, g, p) for (s, g, p), v in best_of.items() if s == spec), reverse=True)
        top = ranked[0]
        others = ", ".join(f"{p} on {g.split(' (')[0]} {v:,.0f}" for v, g, p in ranked[1:])
        out.append(f"- {spec}, fastest training at its best batch: {top[2]} on {top[1].split(' (')[0]}, "
                   f"{top[0]:,.0f} examples/s" + (f" (then {others})." if others else "."))
    return out


# --- main --------------------------------------------------------------------------------------------------

def parse_jit(text: str) -> bool | None:
    return {"auto": None, "on": True, "off": False}[text]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", action="append", help=f"a spec to measure (repeatable; default {', '.join(SPECS)})")
    parser.add_argument("--precisions", default=",".join(PRECISIONS))
    parser.add_argument("--batches", default="16,64,256,1024", help="besides each spec's own batch size")
    parser.add_argument("--jit", default="auto", choices=("auto", "on", "off"),
                        help="model.jit_compile: auto leaves Keras's choice (XLA on JAX, eager on torch)")
    parser.add_argument("--steps", type=int, default=20, help="training steps per timed epoch (fewer at large "
                        "batches: at most --max-examples per epoch, at least 5 steps)")
    parser.add_argument("--max-examples", type=int, default=8192)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs after the untimed one")
    parser.add_argument("--infer-repeats", type=int, default=10)
    parser.add_argument("--skip", action="append", default=[], help="SPEC_STEM:BATCH to leave out (repeatable)")
    parser.add_argument("--peak-n", type=int, default=8192)
    parser.add_argument("--peak-repeats", type=int, default=5)
    parser.add_argument("--peak-rounds", type=int, default=5)
    parser.add_argument("--budget", type=float, default=0, help="seconds; stop starting new rows after it")
    parser.add_argument("--quick", action="store_true", help="CPU rehearsal: tiny sizes, batches 16 and 64")
    parser.add_argument("--tag", help="names the output files (default: the backend, plus -jit-on/off)")
    parser.add_argument("--out", type=Path, help="folder for gpu_<tag>.json")
    parser.add_argument("--write-from", nargs="+", type=Path, metavar="FILE",
                        help="compose the README section from these JSON files (or copy a .md) and write it")
    parser.add_argument("--no-write", action="store_true", help="with --write-from: only print the section")
    parser.add_argument("--note", action="append", default=[], help="with --write-from: a paragraph to add "
                        "(what did not run, say; repeatable)")
    parser.add_argument("--write", action="store_true", help="also write this run's section into the README")
    args = parser.parse_args()

    if args.write_from:
        if len(args.write_from) == 1 and args.write_from[0].suffix == ".md":
            body = args.write_from[0].read_text()
        else:
            body = compose([json.loads(p.read_text()) for p in args.write_from])
        body = "\n\n".join([body.rstrip(), *args.note]) + "\n"
        print(body)
        if not args.no_write:
            write_section("gpu", TITLE, body)
        return

    if args.quick:
        args.batches, args.steps, args.epochs, args.infer_repeats = "16,64", 3, 1, 2
        args.peak_n, args.peak_repeats, args.peak_rounds = 512, 2, 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    started = time.perf_counter()
    meta = device_info()
    print(f"{meta['date']}; {meta['backend']}; {meta['devices']}; {meta['nvidia_smi']}; {meta['versions']}; "
          f"{meta['tf32']}", flush=True)
    peak = peaks(args.peak_n, args.peak_repeats, args.peak_rounds)
    for key, entry in peak.items():
        print(f"peak {key}: {entry['flops'] / 1e12:.2f} TFLOP/s, rel. error {entry['rel_error']:.1e}", flush=True)

    from upspec.modelspec.sections import train_settings
    from upspec.modelspec.load import load_spec

    jit = parse_jit(args.jit)
    tag = args.tag or meta["backend"] + ("" if args.jit == "auto" else f"-jit-{args.jit}")
    result: dict[str, Any] = {
        "meta": meta, "peaks": peak, "rows": [], "failures": [],
        "args": {"jit": args.jit, "peak_n": args.peak_n, "peak_repeats": args.peak_repeats,
                 "peak_rounds": args.peak_rounds, "steps": args.steps, "epochs": args.epochs, "quick": args.quick}}

    def save() -> None:  # after every row: a run stopped by a time limit keeps what it measured
        result["seconds"] = time.perf_counter() - started
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"gpu_{tag}.json").write_text(json.dumps(result, indent=1))

    save()
    rows, failures = result["rows"], result["failures"]
    for spec in args.spec or SPECS:
        own = train_settings(load_spec(ROOT / spec)).batch_size
        batches = sorted({own, *(int(b) for b in args.batches.split(","))})
        for precision in args.precisions.split(","):
            for batch in batches:
                label = f"{Path(spec).stem} {precision} batch {batch}"
                if f"{Path(spec).stem}:{batch}" in args.skip:
                    failures.append(f"{label} (left out)")
                    continue
                if args.budget and time.perf_counter() - started > args.budget:
                    failures.append(f"{label} (time budget)")
                    continue
                steps = max(5, min(args.steps, args.max_examples // batch))
                try:
                    row = measure(spec, precision, batch, jit, steps, args.epochs, args.infer_repeats, own)
                except Exception as error:  # noqa: BLE001 - a setting the device cannot run is a result too
                    message = f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
                    rows.append({"spec": Path(spec).stem, "precision": precision, "batch": batch,
                                 "error": message})
                    print(f"{label}: fails: {message}", flush=True)
                    save()
                    continue
                rows.append(row)
                save()
                print(f"{label}: step {row['step_s'] * 1e3:.2f} ms, {row['train_per_s']:,.0f} ex/s, "
                      f"{row['flops'] / 1e12:.3f} TFLOP/s, inference {row['infer_per_s']:,.0f} ex/s, "
                      f"first epoch {row['first_epoch_s']:.1f} s", flush=True)
    save()
    body = compose([result])
    print(body)
    if args.write:
        write_section("gpu", TITLE, body)
    print(f"{time.perf_counter() - started:.0f} s in all", flush=True)


if __name__ == "__main__":
    main()
