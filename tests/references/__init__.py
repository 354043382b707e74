"""NumPy references of the papers' definitions that upspec's layers are tested against."""
