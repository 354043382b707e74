"""What ``data.task`` may name (the runner's data wing builds the pairs of each); no imports, so a data-source
plugin that names them stays cheap to import."""

TASKS = ("super_resolution", "denoise", "autoencode", "segmentation", "generation")
