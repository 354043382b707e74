"""``upspec new-plugin NAME``: a ready plugin package that installs and passes its own tests as generated."""
