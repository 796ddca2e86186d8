"""Containers: `Sequential` chains modules; `MLP` is the Sequential a list of layer sizes describes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from .activations import ACTIVATIONS
from .dropout import Dropout
from .functional import check_dropout_p
from .linear import Linear, check_size
from .module import Module
from .normalization import BatchNorm1d


class Sequential(Module):
    """Calls its modules in order, each on the previous one's output; they are named "0", "1", ..."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self._modules)), module)
        return self

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class MLP(Sequential):
    """A multi-layer perceptron: for sizes [d0, d1, ..., dk], k Linear layers d_i -> d_{i+1}.

    Each hidden layer is Linear, then BatchNorm1d if ``batchnorm``, then the activation, then Dropout(``dropout``)
    if dropout > 0; the last Linear is followed by nothing, so the output is the raw scores (logits).
    ``activation`` is a name ("relu", "leaky_relu", "tanh", "sigmoid", "softplus", "gelu", "identity") or a Module
    class to instantiate for each hidden layer. State-dict keys are those of the equal torch.nn.Sequential.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | type[Module] = "relu",
        batchnorm: bool = False,
        dropout: float = 0.0,
    ) -> None:
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output size, got {list(sizes)}")
        if isinstance(activation, str):
            if activation not in ACTIVATIONS:
                raise ValueError(f"MLP: unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
            activation = ACTIVATIONS[activation]
        check_dropout_p("MLP", dropout)
        for i, size in enumerate(sizes):
            check_size("MLP", f"sizes[{i}]", size)
        layers: list[Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(n_in, n_out))
            if i < len(sizes) - 2:
                if batchnorm:
                    layers.append(BatchNorm1d(n_out))
                layers.append(activation())
                if dropout > 0:
                    layers.append(Dropout(dropout))
        super().__init__(*layers)
