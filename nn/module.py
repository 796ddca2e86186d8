"""`Module` and `Parameter`: PyTorch's conventions for building models out of layers.

A module registers what is assigned to its attributes: a `Parameter` becomes one of its parameters, a `Module`
one of its sub-modules, and a tensor named by `register_buffer` one of its buffers (state that is saved but not
trained, such as BatchNorm's running averages). Everything else is an ordinary attribute.

Calling a module runs ``forward`` inside ``ag.name_scope(...)`` named after the module's attribute path in the
model ("0", "encoder.fc1"), so a drawing of the graph can box the nodes each layer made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

import autograd_core as ag
from autograd_core import Tensor


class Parameter(Tensor):
    """A leaf tensor that a module trains: ``requires_grad`` is True unless asked otherwise.

    Made from a numpy array it keeps the array's dtype; from Python numbers, the default dtype.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` did not match: keys the module has but the dict lacked, and extras."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of every layer and model: subclasses set attributes in ``__init__`` and define ``forward``."""

    training: bool

    def __init__(self) -> None:
        set_plain = super().__setattr__
        set_plain("_parameters", {})
        set_plain("_buffers", {})
        set_plain("_modules", {})
        set_plain("_scope_name", None)  # the attribute name under the parent module, once it has one
        set_plain("training", True)

    # ---- registration -----------------------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if params is None:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() is called (call super().__init__())")
        if isinstance(value, Parameter):
            self._put(params, name, value)
        elif isinstance(value, Module):
            super(Module, value).__setattr__("_scope_name", name)
            self._put(self._modules, name, value)
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} (nn.Parameter or None expected)")
            self._put(params, name, None)
        elif name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} (nn.Module or None expected)")
            self._put(self._modules, name, None)
        elif name in self._buffers:
            self._put(self._buffers, name, value if value is None or isinstance(value, Tensor) else Tensor(np.asarray(value)))
        else:
            super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
        super().__delattr__(name)

    def _put(self, registry: dict[str, Any], name: str, value: Any) -> None:
        """Register ``value`` under ``name`` in one registry, and keep it as a plain attribute as well.

        The registries are what ``parameters()``, ``state_dict()`` and friends walk; the plain attribute is what a
        forward reads (``self.weight``) at the cost of an ordinary lookup, with no ``__getattr__`` fallback.
        """
        self._forget(name)
        registry[name] = value
        super().__setattr__(name, value)

    def _forget(self, name: str) -> None:
        """Drop ``name`` from every registry and the plain attributes, before it is registered anew."""
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self.__dict__.pop(name, None)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (None keeps the name reserved, as ``Linear(bias=False)`` does for ``bias``)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be an nn.Parameter or None, got {type(param).__name__}")
        self._put(self._parameters, name, param)

    def register_buffer(self, name: str, tensor: Tensor | np.ndarray | None) -> None:
        """Add state that is saved in the state dict but not trained (it never requires grad)."""
        self._put(self._buffers, name, tensor if tensor is None or isinstance(tensor, Tensor) else Tensor(np.asarray(tensor)))

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a sub-module under ``name`` (what attribute assignment does, for names that are not identifiers)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be an nn.Module, got {type(module).__name__}")
        if module is not None:
            super(Module, module).__setattr__("_scope_name", name)
        self._put(self._modules, name, module)

    # ---- running ----------------------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward(); subclasses of nn.Module define one")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if ag.compiler.recording_here():  # a function is recorded anew when the module's mode or its parts change
            ag.compiler.guard(self, "training", *self._parameters, *self._buffers, *self._modules)
        name = self._scope_name
        if name is None:
            if self._modules:  # the model itself: its layers' scopes are their paths, "0", "encoder.fc1"
                return self.forward(*args, **kwargs)
            name = type(self).__name__  # a lone layer called on its own
        with ag.name_scope(name):
            return self.forward(*args, **kwargs)

    def train(self, mode: bool = True) -> Module:
        """Put this module and every sub-module in training mode (or eval mode for ``mode=False``); returns self."""
        for module in self.modules():
            super(Module, module).__setattr__("training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: BatchNorm uses its running averages, Dropout passes inputs through."""
        return self.train(False)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn(module)`` on every sub-module and then on this one (PyTorch's order: children first, depth
        first), e.g. to initialise weights: ``model.apply(init_weights)``. Returns self."""
        order, stack = [], [self]
        while stack:  # this module before its children, the last child first: reversed, PyTorch's order
            module = stack.pop()
            order.append(module)
            stack.extend(module.children())
        for module in reversed(order):
            fn(module)
        return self

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``.grad = None``, PyTorch's default ``set_to_none``)."""
        for p in self.parameters():
            p.grad = None

    # ---- walking the tree (iteratively, in PyTorch's order: a module, then its children depth first) ----------
    def named_modules(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """Every module of the tree with its dotted path (the root's is ``prefix``); a module reached by two paths
        is listed once unless ``remove_duplicate=False``."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            path, module = stack.pop()
            if remove_duplicate and id(module) in seen:
                continue
            seen.add(id(module))
            yield path, module
            children = [(f"{path}.{n}" if path else n, m) for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules with their attribute names."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, recurse: bool) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        tree = self.named_modules() if recurse else iter([("", self)])
        for path, module in tree:
            for name, value in getattr(module, registry).items():
                if value is not None and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{path}.{name}" if path else name), value

    def named_parameters(self, recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its state-dict key ("0.weight"), each once even when shared."""
        yield from self._named_members("_parameters", recurse)  # type: ignore[misc]

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse):
            yield p

    def named_buffers(self, recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse):
            yield b

    # ---- state ------------------------------------------------------------------------------------------------
    def _state_tensors(self) -> dict[str, Tensor]:
        """Parameters and buffers by key, in PyTorch's state-dict order (each module's parameters, then buffers).

        As in PyTorch, a module shared by two paths appears under both, so the keys match the torch twin's.
        """
        state: dict[str, Tensor] = {}
        for path, module in self.named_modules(remove_duplicate=False):
            for registry in (module._parameters, module._buffers):
                for name, value in registry.items():
                    if value is not None:
                        state[f"{path}.{name}" if path else name] = value
        return state

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer as numpy arrays, keyed as PyTorch keys them ("0.weight")."""
        return {key: t.numpy().copy() for key, t in self._state_tensors().items()}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values (numpy arrays, Tensors, torch tensors) into the parameters and buffers, keeping their dtypes.

        Values that are not real numbers (complex, strings, ragged lists) and shape mismatches are always an error;
        with ``strict=True`` so are missing and unexpected keys. Every value is checked before any is copied, so a
        state dict that does not fit leaves the module as it was; the error lists every problem at once. Returns
        ``(missing_keys, unexpected_keys)``.
        """
        own = self._state_tensors()
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        values: dict[str, np.ndarray] = {}
        mismatched, unreadable = [], []
        for key, target in own.items():
            if key not in state_dict:
                continue
            try:
                value = _real_array(state_dict[key])
            except (TypeError, ValueError) as err:
                unreadable.append(f"{key}: {err}")
                continue
            if value.shape != target.shape:
                mismatched.append(f"{key}: expected shape {target.shape}, got {value.shape}")
            else:
                values[key] = value
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if mismatched:
            problems.append("shape mismatches: " + "; ".join(mismatched))
        if unreadable:
            problems.append("values that are not arrays of real numbers: " + "; ".join(unreadable))
        if problems:
            raise RuntimeError(f"load_state_dict: cannot load into {type(self).__name__}:\n  " + "\n  ".join(problems))
        with ag.no_grad():
            for key, value in values.items():
                own[key].copy_(value)  # in place, in the target's dtype, as PyTorch's (and counted as a change)
        return IncompatibleKeys(missing, unexpected)

    # ---- printing ---------------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The sizes and options shown between the parentheses of this module's repr; subclasses override it."""
        return ""

    def _tree_repr(self) -> str:
        """PyTorch's layout: ``Name(extra)`` for a leaf, one indented ``(name): child`` line per child otherwise."""
        children = [(name, child) for name, child in self._modules.items() if child is not None]
        lines = [f"({name}): " + child._tree_repr().replace("\n", "\n  ") for name, child in children]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        extra = self.extra_repr()
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"

    def __repr__(self) -> str:
        modes = {m.training for m in self.modules()}
        mode = "mixed train/eval" if len(modes) > 1 else "train" if self.training else "eval"
        return f"{self._tree_repr()}  [{mode} mode]"


def _real_array(value: Any) -> np.ndarray:
    """``value`` as a numpy array of real numbers (bool, integer or float), or an error saying what it holds.

    Complex values are refused rather than cast: the cast would drop the imaginary parts with only a warning.
    """
    try:
        array = np.asarray(value)
    except ValueError as err:  # numpy's "inhomogeneous shape": nested lists of different lengths
        raise ValueError(f"not a rectangular array ({err})") from None
    if array.dtype.kind == "c":
        raise TypeError(f"complex values (dtype {array.dtype}); parameters and buffers are real, refusing to drop "
                        "the imaginary parts")  # fmt: skip
    if array.dtype.kind not in "biuf":
        raise TypeError(f"expected real numbers, got dtype {array.dtype} ({value!r:.40})")
    return array

