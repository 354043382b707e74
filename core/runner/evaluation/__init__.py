"""Test metrics: whole 2-D images as the literature scores them, 1-D signals and 3-D volumes, the collapse
check; and prediction on inputs of any size."""
