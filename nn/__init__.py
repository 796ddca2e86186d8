"""nn: layers, losses, initialisers and model files, written with autograd_core operations only.

>>> import nn
>>> model = nn.MLP([2, 16, 1], activation="tanh")
>>> loss = nn.MSELoss()(model(x), y)
>>> loss.backward()
"""

from . import data, datasets, functional, init, utils
from .activations import GELU, Flatten, Identity, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .containers import MLP, Sequential
from .dropout import Dropout
from .linear import Linear
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss
from .module import IncompatibleKeys, Module, Parameter
from .normalization import BatchNorm1d, LayerNorm
from autograd_core import manual_seed  # the project's one generator (autograd_core/rng.py), kept here too
from .serialization import load, save

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "CrossEntropyLoss", "Dropout", "Flatten", "GELU", "HuberLoss",
    "Identity", "IncompatibleKeys", "KLDivLoss", "L1Loss", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MLP",
    "MSELoss", "Module", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Softplus", "Tanh",
    "data", "datasets", "functional", "init", "load", "manual_seed", "save", "utils",
]  # fmt: skip
