"""``upspec help TOPIC``: the short reference that error hints point at, inside the package (a pip user has no
``docs/`` folder). Each topic is a few paragraphs; ``docs/runner.md`` and ``docs/spec.md`` say more."""

from __future__ import annotations

TOPICS: dict[str, str] = {
    "data": """\
Data sources (data.source) and tasks (data.task)

  photos   scikit-image's and scikit-learn's photographs, split by image (the default)
  shapes   generated shapes with class masks (segmentation)
  digits   scikit-learn's digits as 28x28 images
  mnist    the real MNIST through keras.datasets (downloads; offline it fails at once)
  npz      your .npz file with an array 'x' (N x H x W [x C], uint8 or floats in [0, 1]): options: {path: data.npz}
  images   your folder of images: options: {path: folder}

Tasks: super_resolution, denoise, autoencode, segmentation. The model's input and output shapes decide the
patch size, the channels and the scale.

Paths: a relative 'path:' is relative to the spec file's folder (a value given with --set: to the current
folder); the run folder's spec.yaml stores it absolute, so `upspec evaluate RUN` works from any folder.

Folder 'images': the files ending in .png .jpg .jpeg .bmp .tif .tiff (any case) directly in the folder,
sorted by name; subfolders and other files are skipped. Every image is read as RGB. The last 10% (at least
one) is the test split, the 10% before it (at least one) the validation split, the rest the training split,
so at least 3 images are needed; each must be at least as large as the model's input patch.
`upspec validate SPEC` checks all of this, and lists every unreadable or too small file at once.
""",
    "export": """\
upspec export RUN [-o FOLDER] [--format saved_model|tflite] [--select-tf-ops] [--force]

Writes every format that can hold the model into RUN/export/: saved_model/ always, model.tflite when TFLite's
builtin ops can express the model. A format that cannot is reported on one line with the reason (the spec
entry and strategy at fault) and the fallback: --select-tf-ops writes TFLite with TensorFlow ops (the app
then needs TFLite's Flex delegate). A fully convolutional model is exported with free height and width; a
model that is not keeps its input size, and the command says so. Nothing is replaced without --force (exit
status 2); formats already written are kept, so a second export adds the missing ones.
""",
    "runs": """\
Run folders: runs/<spec name>/<timestamp>/ (or -o FOLDER, new or empty), with runs/<spec name>/latest
pointing at the newest. Every command taking RUN accepts runs/<spec name>/latest. A run's own outputs
(export/, checkerboard/) go inside it. `upspec train --resume RUN` continues an interrupted run; after
Ctrl-C, upspec prints that command. Outputs are written with -o/--output; nothing that exists is replaced
without --force (exit status 2).
""",
}


def topic_names() -> list[str]:
    return sorted(TOPICS)


def hint(topic: str) -> str:
    """The hint that points a user at a topic: ``see `upspec help data` ``."""
    return f"see `upspec help {topic}`"
