"""The runner: data, training, evaluation, reports, export."""
