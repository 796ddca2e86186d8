"""concatenate and stack given shapes that do not fit: a ShapeError naming the operation and every input's shape,
where numpy's message names neither (PyTorch refuses the same inputs)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import autograd_core as ag


def _ours(*shapes: tuple[int, ...]) -> list[ag.Tensor]:
    return [ag.Tensor(np.ones(s)) for s in shapes]


def _theirs(*shapes: tuple[int, ...]) -> list[torch.Tensor]:
    return [torch.ones(s) for s in shapes]


@pytest.mark.parametrize(
    "shapes, axis, message",
    [
        ([(2, 3), (2, 4), (2, 3)], 0,
         "concatenate: shapes (2, 3), (2, 4), (2, 3) along axis 0: every other dimension must match, "
         "but dimension 1 is 3 and 4"),
        ([(2, 3), (3, 3)], -1,
         "concatenate: shapes (2, 3), (3, 3) along axis -1: every other dimension must match, "
         "but dimension 0 is 2 and 3"),
        ([(2, 3), (3,)], 0,
         "concatenate: shapes (2, 3), (3,): all inputs need the same number of dimensions, got 2 and 1"),
        ([(2, 3), (2, 3)], 2, "concatenate: shapes (2, 3), (2, 3): axis 2 is out of range for 2 dimensions"),
        ([(), ()], 0, "concatenate: shapes (), (): 0-d tensors have no axis to join along (use stack)"),
    ],
)  # fmt: skip
def test_concatenate_names_every_shape(shapes: list, axis: int, message: str) -> None:
    with pytest.raises((RuntimeError, IndexError)):
        torch.cat(_theirs(*shapes), dim=axis)
    with pytest.raises(ag.ShapeError, match=re.escape(message)):
        ag.concatenate(_ours(*shapes), axis=axis)


@pytest.mark.parametrize(
    "shapes, axis, message",
    [
        ([(2, 3), (2, 4)], 0, "stack: shapes (2, 3), (2, 4): all inputs need the same shape"),
        ([(2,), (2,)], 3, "stack: shapes (2,), (2,): axis 3 is out of range for the result's 2 dimensions"),
        ([(2,), (2,)], -4, "stack: shapes (2,), (2,): axis -4 is out of range for the result's 2 dimensions"),
    ],
)
def test_stack_names_every_shape(shapes: list, axis: int, message: str) -> None:
    with pytest.raises((RuntimeError, IndexError)):
        torch.stack(_theirs(*shapes), dim=axis)
    with pytest.raises(ag.ShapeError, match=re.escape(message)):
        ag.stack(_ours(*shapes), axis=axis)


@pytest.mark.parametrize("axis", [0, 1, -1, -2])
def test_shapes_that_fit_still_join_as_in_torch(axis: int) -> None:
    a, b = np.arange(6.0).reshape(2, 3), np.arange(6.0, 12.0).reshape(2, 3)
    theirs = torch.cat([torch.from_numpy(a), torch.from_numpy(b)], dim=axis).numpy()
    np.testing.assert_array_equal(ag.concatenate([ag.Tensor(a), ag.Tensor(b)], axis=axis).data, theirs)
    theirs = torch.stack([torch.from_numpy(a), torch.from_numpy(b)], dim=axis).numpy()
    np.testing.assert_array_equal(ag.stack([ag.Tensor(a), ag.Tensor(b)], axis=axis).data, theirs)
