"""The runner's data: sources, the tasks' pairs and whole test images (2-D), signals and volumes (1-D, 3-D),
data files, degradations, the dataset a sweep shares, and the shapes a model gives the data (from its graph)."""
