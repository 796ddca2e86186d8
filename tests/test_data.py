"""nn.data against torch.utils.data, and the nn.datasets generators against their defining formulas."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.datasets
import torch
import torch.utils.data as tud
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_core as ag
import nn
from nn import datasets
from nn.data import DataLoader, Dataset, TensorDataset


def _arrays(n: int) -> tuple[np.ndarray, np.ndarray]:
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    return X, np.arange(n) % 4


# ---- DataLoader: batching ------------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), batch_size=st.integers(1, 12), drop_last=st.booleans())
def test_batches_match_torch_without_shuffle(n: int, batch_size: int, drop_last: bool) -> None:
    X, y = _arrays(n)
    ours = list(DataLoader(TensorDataset(X, y), batch_size=batch_size, drop_last=drop_last))
    theirs = list(tud.DataLoader(tud.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
                                 batch_size=batch_size, drop_last=drop_last))  # fmt: skip
    assert len(ours) == len(theirs) == len(DataLoader(TensorDataset(X, y), batch_size, drop_last=drop_last))
    for (xb, yb), (txb, tyb) in zip(ours, theirs, strict=True):
        assert isinstance(xb, ag.Tensor) and isinstance(yb, ag.Tensor)  # batches are Tensors, as torch's
        assert not xb.requires_grad and xb.shape == tuple(txb.shape)
        np.testing.assert_array_equal(xb, txb.numpy())
        np.testing.assert_array_equal(yb, tyb.numpy())
        assert xb.dtype == np.float32 and yb.dtype == y.dtype


def test_last_partial_batch_kept_or_dropped() -> None:
    X, y = _arrays(10)
    assert [len(xb) for xb, _ in DataLoader(TensorDataset(X, y), batch_size=4)] == [4, 4, 2]
    assert [len(xb) for xb, _ in DataLoader(TensorDataset(X, y), batch_size=4, drop_last=True)] == [4, 4]
    assert len(DataLoader(TensorDataset(X, y), batch_size=4)) == 3
    assert len(DataLoader(TensorDataset(X, y), batch_size=4, drop_last=True)) == 2


class _Squares(Dataset):
    """A dataset without __getitems__: samples are (array, number) tuples, batched by collate."""

    def __len__(self) -> int:
        return 7

    def __getitem__(self, i: int) -> tuple[np.ndarray, float]:
        return np.array([i, i * i], dtype=np.float64), float(i) / 2


class _TorchSquares(tud.Dataset):
    def __len__(self) -> int:
        return 7

    def __getitem__(self, i: int) -> tuple[torch.Tensor, float]:
        return torch.tensor([i, i * i], dtype=torch.float64), float(i) / 2


def test_per_sample_dataset_collates_as_torch() -> None:
    ours = list(DataLoader(_Squares(), batch_size=3))
    theirs = list(tud.DataLoader(_TorchSquares(), batch_size=3))
    for (a, b), (ta, tb) in zip(ours, theirs, strict=True):
        assert a.dtype == ta.numpy().dtype and b.dtype == tb.numpy().dtype  # floats float64, as default_collate
        np.testing.assert_array_equal(a, ta.numpy())
        np.testing.assert_array_equal(b, tb.numpy())


def test_single_array_dataset_gives_one_tuple() -> None:
    X, _ = _arrays(5)
    (xb,) = next(iter(DataLoader(TensorDataset(X), batch_size=2)))
    np.testing.assert_array_equal(xb, X[:2])
    assert TensorDataset(X)[3][0].tolist() == X[3].tolist()


def test_tensors_are_taken_by_their_data() -> None:
    X, y = _arrays(6)
    ds = TensorDataset(ag.Tensor(X), y)
    np.testing.assert_array_equal(ds[2][0], X[2])


# ---- DataLoader: shuffling and seeds ---------------------------------------------------------------------------------
def _epoch(loader: DataLoader) -> np.ndarray:
    return np.concatenate([yb for _, yb in loader])


def test_shuffle_visits_every_sample_once_per_epoch_in_a_new_order() -> None:
    X = np.zeros((50, 2))
    idx = np.arange(50)
    loader = DataLoader(TensorDataset(X, idx), batch_size=8, shuffle=True, seed=3)
    first, second = _epoch(loader), _epoch(loader)
    assert sorted(first.tolist()) == sorted(second.tolist()) == idx.tolist()
    assert not np.array_equal(first, idx)  # shuffled (50! orders: equal to the identity with probability ~0)
    assert not np.array_equal(first, second)  # a new permutation every epoch, as torch's DataLoader


def test_same_seed_same_sequence_of_epochs_other_seed_other() -> None:
    idx = np.arange(30)

    def run(seed: int | None) -> list[list[int]]:
        loader = DataLoader(TensorDataset(idx), batch_size=7, shuffle=True, seed=seed)
        return [np.concatenate([b for (b,) in loader]).tolist() for _ in range(3)]

    assert run(0) == run(0)
    assert run(0) != run(1)
    assert run(None) != run(None)  # seed=None: nn's shared generator, which moves on
    nn.manual_seed(4)
    first = run(None)
    nn.manual_seed(4)
    assert run(None) == first  # as torch.manual_seed makes a DataLoader without a generator repeat


def test_shuffle_with_drop_last_drops_different_samples() -> None:
    idx = np.arange(10)
    loader = DataLoader(TensorDataset(idx), batch_size=4, shuffle=True, drop_last=True, seed=0)
    epochs = [np.concatenate([b for (b,) in loader]) for _ in range(5)]
    assert all(len(e) == 8 and len(set(e.tolist())) == 8 for e in epochs)
    assert len({tuple(sorted(e.tolist())) for e in epochs}) > 1


def test_no_shuffle_ignores_seed_and_keeps_order() -> None:
    idx = np.arange(9)
    assert _epoch(DataLoader(TensorDataset(idx, idx), batch_size=4, seed=5)).tolist() == idx.tolist()


# ---- bad input -------------------------------------------------------------------------------------------------------
def test_arrays_of_different_lengths_name_both_lengths() -> None:
    with pytest.raises(ValueError, match=r"array 0 has 5 rows, array 1 has 4"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True])
def test_batch_size_must_be_positive_integer(batch_size: object) -> None:
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(TensorDataset(np.zeros(3)), batch_size=batch_size)  # type: ignore[arg-type]


def test_empty_and_scalar_arrays_rejected() -> None:
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(np.zeros(3), np.float32(1.0))


# ---- datasets --------------------------------------------------------------------------------------------------------
def test_load_digits_scaled_from_the_bundled_copy() -> None:
    X, y = datasets.load_digits()
    raw = sklearn.datasets.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(X * 16, raw.data)
    np.testing.assert_array_equal(y, raw.target)


GENERATORS = [datasets.make_moons, datasets.make_spirals, datasets.make_xor, datasets.make_blobs]


@pytest.mark.parametrize("make", GENERATORS)
def test_generator_shapes_dtypes_and_seeds(make) -> None:  # noqa: ANN001
    X, y = make(n_samples=101, noise=0.1, seed=7)
    assert X.shape == (101, 2) and y.shape == (101,)
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert set(np.unique(y).tolist()) == {0, 1}
    X2, y2 = make(n_samples=101, noise=0.1, seed=7)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(n_samples=101, noise=0.1, seed=8)
    assert not np.array_equal(X, X3)
    if make is not datasets.make_xor:  # xor labels uniform points by quadrant: balanced only on average
        assert abs(np.sum(y == 0) - np.sum(y == 1)) <= 1


@pytest.mark.parametrize("make", GENERATORS)
def test_generator_float64_default_dtype(make, float64) -> None:  # noqa: ANN001
    assert make(n_samples=5, seed=0)[0].dtype == np.float64


@pytest.mark.parametrize("make", GENERATORS)
def test_generator_bad_arguments(make) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match=f"{make.__name__}: noise"):
        make(n_samples=10, noise=-1.0)
    with pytest.raises(ValueError, match=f"{make.__name__}: n_samples"):
        make(n_samples=0)


def test_moons_without_noise_lie_on_their_half_circles() -> None:
    X, y = datasets.make_moons(n_samples=200, noise=0.0, seed=0)
    upper, lower = X[y == 0].astype(np.float64), X[y == 1].astype(np.float64)
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-6)  # centre (0, 0), y >= 0
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-6)  # centre (1, 0.5)
    assert upper[:, 1].min() >= -1e-6 and lower[:, 1].max() <= 0.5 + 1e-6


def test_spirals_without_noise_follow_r_equals_t() -> None:
    turns, k = 1.5, 3
    X, y = datasets.make_spirals(n_samples=300, noise=0.0, seed=1, n_classes=k, turns=turns)
    X = X.astype(np.float64)
    r = np.hypot(X[:, 0], X[:, 1])
    expected = 2 * np.pi * (turns * r + y / k)  # angle(t) with t = r
    np.testing.assert_allclose(np.cos(expected) * r, X[:, 0], atol=1e-5)
    np.testing.assert_allclose(np.sin(expected) * r, X[:, 1], atol=1e-5)
    assert np.bincount(y).tolist() == [100, 100, 100]


def test_xor_without_noise_labels_the_quadrants() -> None:
    X, y = datasets.make_xor(n_samples=500, noise=0.0, seed=2)
    assert np.all(np.abs(X) <= 1)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))
    assert np.all(np.bincount(y) > 200)


def test_blobs_are_centred_on_the_circle_with_the_given_spread() -> None:
    X, y = datasets.make_blobs(n_samples=4000, noise=0.3, seed=3, centers=4)
    for c in range(4):
        angle = 2 * np.pi * c / 4
        np.testing.assert_allclose(X[y == c].mean(axis=0), [2 * np.cos(angle), 2 * np.sin(angle)], atol=0.05)
        np.testing.assert_allclose(X[y == c].std(axis=0), [0.3, 0.3], rtol=0.1)
    X2, y2 = datasets.make_blobs(n_samples=400, noise=0.5, seed=0)
    np.testing.assert_array_equal(X2[:, 0] < 0, y2 == 1)  # two blobs: the line x = 0 separates them
