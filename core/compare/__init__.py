"""``upspec sweep``: the same graph once per strategy, trained and measured side by side."""
