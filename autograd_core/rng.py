"""The project's one random generator: every random draw (the factories ``ag.rand``/``randn``/``randint``/
``normal``, ``Tensor.normal_``/``uniform_``, nn's initialisers, dropout masks, DataLoader shuffling) comes from
``ag.default_generator`` unless it is handed a generator of its own, so ``ag.manual_seed(seed)`` makes a whole
run repeat, as ``torch.manual_seed`` does.

It is numpy's ``np.random.Generator`` (PCG64). PyTorch's generator is a different algorithm, so the same seed gives
other numbers than PyTorch's: the same distributions, not the same draws.
"""

from __future__ import annotations

import numpy as np

# One object for the whole run: manual_seed reseeds it in place, so a module may hold on to it.
default_generator = np.random.Generator(np.random.PCG64())


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed ``ag.default_generator`` so that every later random draw repeats from run to run; returns it.

    The draws after ``manual_seed(s)`` are those of ``np.random.default_rng(s)``.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: the seed must be an integer, got {type(seed).__name__} {seed!r}")
    default_generator.bit_generator.state = np.random.PCG64(int(seed)).state
    return default_generator
