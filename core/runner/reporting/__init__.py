"""What a run and a sweep show: report.md, learning curves, sample pictures (images, signals, volumes),
TensorBoard test summaries, and a sweep folder's overlaid curves."""
