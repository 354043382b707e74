"""Training a supervised model: ``fit`` with its plan and callbacks, checkpoints and history, distribution,
timing, TensorBoard scalars and sample images, and the framework's process-wide state (seeds, heap)."""
