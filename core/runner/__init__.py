"""The runner: a spec trained, evaluated, reported and exported in a run folder of its own.

Its folders say what they hold, in the order a run uses them:

- ``data/``: sources, the tasks' pairs and whole test images (2-D), signals and volumes (1-D, 3-D), data files;
- ``training/``: ``fit`` with its checkpoints, callbacks, distribution, timing and the framework's state;
- ``evaluation/``: the test metrics (images; signals and volumes) and prediction on inputs of any size;
- ``reporting/``: report.md, learning curves, sample pictures, TensorBoard summaries, a sweep folder's curves;
- ``artefacts/``: run folders, saved models, export;
- ``lanes/``: one lane per kind of model (images, signals and volumes, and the GAN's, in ``upspec.gan``)
  behind one protocol, and :func:`~upspec.runner.lanes.lane_for`, which picks it;
- ``run.py``: the verbs (:func:`~upspec.runner.run.run`, ``resume``, ``evaluate_run``) that ask the lane.

Importing this package imports nothing heavy; ``upspec.run(...)`` is the main job.
"""
