"""The random generator that initialisers and dropout use unless they are handed one (numpy's Generator)."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the shared generator, so that layer initialisation and dropout masks repeat from run to run."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The shared generator (replaced by ``manual_seed``)."""
    return _generator
