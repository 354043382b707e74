"""What a run leaves: its folder (and the request and result of a run), saved models, exports."""
