"""``report.md`` of a GAN run: the numbers against their floor and ceiling, diagnoses, pictures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..files import write_text
from ..wording import plural
from .condition import grid_columns

ROWS = (("generator", "trained generator"), ("held_out_real", "held-out real images (floor)"),
        ("untrained_generator", "untrained generator (ceiling)"))
COLUMNS = (("fd", "FD", "{:.2f}"), ("precision", "precision", "{:.3f}"), ("recall", "recall", "{:.3f}"),
           ("confidence", "confidence", "{:.3f}"), ("label_accuracy", "label accuracy", "{:.3f}"),
           ("classes_covered", "classes", "{:d}"),
           ("kl_uniform", "KL to uniform", "{:.3f}"), ("spectral_distance", "spectral distance", "{:.3f}"),
           ("peak_ratio", "peak ratio", "{:.2f}"), ("cb", "CB", "{:.4f}"))


def _cell(scores: dict[str, Any], key: str, fmt: str) -> str:
    """A number of the table; the confidence with its 95% interval over the samples (1.96 standard errors)."""
    if key not in scores:
        return ""
    text = fmt.format(scores[key])
    if key == "confidence" and scores.get("confidence_se"):
        text += " ± " + fmt.format(1.96 * scores["confidence_se"])
    return text


def metrics_table(metrics: dict[str, Any]) -> str:
    present = [c for c in COLUMNS if any(c[0] in metrics.get(row, {}) for row, _ in ROWS)]
    lines = ["| | " + " | ".join(title for _, title, _ in present) + " |", "|---|" + "---|" * len(present)]
    for row, label in ROWS:
        scores = metrics.get(row, {})
        cells = [_cell(scores, key, fmt) for key, _, fmt in present]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _held_out_note(metrics: dict[str, Any]) -> str:
    if not metrics.get("features", "").startswith("source image"):
        return ""
    return ("\nThe held-out patches come from other photos than the training ones, so their row is a reference, "
            "not a floor: a generator that imitates the training photos can score better.\n")


def coverage_warning(metrics: dict[str, Any]) -> str:
    """Mode collapse seen in the classes the samples cover (labelled sources): fewer than half the classes of
    the held-out real images, or a KL divergence to uniform above half its maximum (log of the classes)."""
    import math

    generated, real = metrics.get("generator", {}), metrics.get("held_out_real", {})
    covered, histogram = generated.get("classes_covered"), generated.get("histogram")
    if covered is None:
        return ""
    classes = len(histogram) if histogram else real.get("classes_covered", covered)
    most = math.log(classes) if classes > 1 else 0.0
    kl = generated.get("kl_uniform", 0.0)
    if covered * 2 < real.get("classes_covered", classes) or (most and kl > most / 2):
        return (f"Mode collapse: the samples cover {plural(covered, 'class', 'classes')} of {classes} (KL to uniform "
                f"{kl:.2f}, at most {most:.2f} when every sample is one class); train longer, lower the learning "
                "rates, or try another gan_loss")
    return ""


def game_settings(settings: dict[str, Any]) -> str:
    """The train: keys that change the game, in words (empty for the plain game)."""
    said = []
    if settings.get("d_steps", 1) != 1:
        said.append(f"{settings['d_steps']} discriminator steps per generator step")
    if settings.get("label_smoothing"):
        said.append(f"real images' target {1 - settings['label_smoothing']:g} (one-sided label smoothing)")
    if settings.get("augment"):
        said.append(f"the discriminator sees every image augmented ({', '.join(settings['augment'])})")
    if settings.get("ema"):
        said.append(f"the generator judged and saved is the exponential moving average of its weights "
                    f"(decay {settings['ema']:g})")
    return "".join(f"; {s}" for s in said)


def conditional_note(metrics: dict[str, Any]) -> str:
    """What a class-conditional generator's numbers mean (empty for an unconditional one)."""
    if not metrics.get("conditional"):
        return ""
    return (f"\nThe generator is class-conditional ({metrics['conditional']['classes']} classes; each set asks for "
            "every class in turn, so equally often). Label accuracy: how often the classifier names the class "
            "that was asked for; for the held-out real images, their own labels: the classifier's accuracy, a "
            "reference rather than a bound (samples less varied than real images can score higher).\n")


def _grid_note(metrics: dict[str, Any]) -> str:
    number = (metrics.get("conditional") or {}).get("classes")
    return " (one column per class)" if number and grid_columns(number) == number else ""


def write_gan_report(run_dir: Path, spec: Any, metrics: dict[str, Any], settings: dict[str, Any], size: int) -> Path:
    factor = metrics.get("upsampling_factor", [1, 1])
    warnings = [*metrics.get("warnings", []), *filter(None, [coverage_warning(metrics)])]
    diagnosis = ("\n".join(f"- **Warning:** {w}" for w in warnings) if warnings else
                 "No collapse detected: the discriminator's loss never stayed near zero for an epoch, the "
                 "generator's samples always differed" + (", and they cover the classes of the real images."
                                                          if "classes_covered" in metrics.get("generator", {}) else "."))
    text = f"""# GAN run of `{spec.name}`

Task: generation on `{settings['source']}`; loss `{settings['gan_loss']}`; {plural(settings['epochs'], 'epoch')} x
{plural(settings['steps_per_epoch'], 'step')}, batch {settings['batch_size']}, seed {settings['seed']}{game_settings(settings)}.

## Samples

Each set has {plural(metrics['test_images'], 'image')}; features: {metrics['features']}. FD is the Fréchet distance
to the training images' features (lower is better; it depends on the set size, so compare rows, not
papers); precision / recall after Kynkäänniemi et al. (2019), k = 3. For labelled sources: the
classifier's mean confidence (± its 95% interval over this set's samples: the draw of the evaluation
latents alone moves it that much, before any difference of training), how many classes its predictions
cover and their KL divergence to uniform.
Spectral distance: mean absolute difference in decades between the normalised radial power spectra of the
set and of the training images. Peak ratio: power at the upsampling frequencies (multiples of
{size}/{factor[0]} bins, for the generator's total factor {factor[0]}x{factor[1]}) over their neighbours' (about 1
without periodic artifacts). CB: the phase variance of the samples with period {factor[0]}.

{metrics_table(metrics)}
{_held_out_note(metrics)}{conditional_note(metrics)}
## Diagnosis

{diagnosis}

## Pictures

Samples of the fixed latent batch after the last epoch{_grid_note(metrics)},
and its first row after every epoch (one row per epoch, top to bottom):

![samples](samples.png)

![samples over epochs](samples_over_epochs.png)

![spectrum](spectrum.png)

![learning curves](learning_curves.png)

## Files

- [resolved spec](spec.yaml), [generator](model.keras), [discriminator](discriminator.keras),
  [history](history.csv), [metrics](metrics.json), [spectra](spectrum.json), `samples/` (every epoch)
- TensorBoard logs (losses, D's scores, sample grids): `tensorboard --logdir {run_dir / 'tensorboard'}`
- More samples: `upspec generate {run_dir} -n 64 -o samples.npz`
"""
    return write_text(run_dir / "report.md", text)
