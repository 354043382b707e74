"""Generative adversarial networks whose generator's upsampling is a strategy.

A GAN spec is an ordinary spec (the generator: latent input -> image, its
upsampling as ``upsample:`` entries) with a ``discriminator:`` section (a
graph of its own, image -> score, with its own ``compile:``). spec.py checks
the pair, train.py plays the game, evaluate.py judges the samples, runner.py
ties them into a run folder and generate.py samples a finished run.
"""
