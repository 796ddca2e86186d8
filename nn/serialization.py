"""`save` and `load`: a module's state dict as a .safetensors file, the format PyTorch models load directly.

safetensors holds only a JSON header and raw array bytes, so loading a file can never run code (unlike pickle).
Keys are the state-dict keys ("0.weight", "1.running_mean"), so ``torch_model.load_state_dict(
safetensors.torch.load_file(path))`` loads a file written here into the equivalent torch.nn model.
"""

from __future__ import annotations

import os

import safetensors.numpy
from safetensors import SafetensorError

from .files import atomic_path
from .module import Module

PathLike = str | os.PathLike[str]


def save(module: Module, path: PathLike) -> None:
    """Write ``module.state_dict()`` to ``path``: first to ``.NAME.tmp-PID`` beside it, flushed to disk, then
    renamed into place, so an interrupted save never leaves a half-written file under that name (see nn.files).

    A new file gets the usual mode (0666 less the umask); a replaced file keeps its mode.
    """
    tensors = module.state_dict()  # fresh C-contiguous copies, as safetensors needs
    # safetensors.numpy.save_file writes a temporary file of its own (mode 0600, a random name that a killed save
    # leaves behind); the bytes, written by atomic_path's rules, avoid both
    data = safetensors.numpy.save(tensors, metadata={"format": "pt"})
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def load(module: Module, path: PathLike, strict: bool = True) -> Module:
    """Read the state dict in ``path`` into ``module`` (see ``Module.load_state_dict``); returns the module."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"nn.load: no such file: {path}")
    try:
        tensors = safetensors.numpy.load_file(path)
    except SafetensorError as err:
        raise ValueError(
            f"nn.load: {path} ({os.path.getsize(path)} bytes) is not a complete safetensors file: {err}. "
            "It may be truncated (an interrupted copy) or a file of another format."
        ) from None
    try:
        module.load_state_dict(tensors, strict=strict)
    except RuntimeError as err:
        raise RuntimeError(f"nn.load: {path} does not fit this model: {err}") from None
    return module
