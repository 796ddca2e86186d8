"""nn.save / nn.load: round trips, the way out to PyTorch (and back in), atomic writes, and bad files."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch

import autograd_core as ag
import nn

pytestmark = pytest.mark.usefixtures("float64")
ROOT = Path(__file__).resolve().parent.parent
rng = np.random.default_rng(4)


def _trained_mlp() -> nn.MLP:
    """A small MLP after a few plain gradient steps, so weights and BatchNorm buffers are no longer initial."""
    model = nn.MLP([3, 6, 2], activation="tanh", batchnorm=True, dropout=0.1)
    x, y = rng.standard_normal((16, 3)), rng.integers(0, 2, 16)
    for _ in range(3):
        model.zero_grad()
        nn.CrossEntropyLoss()(model(ag.Tensor(x)), y).backward()
        with ag.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad  # in place, as PyTorch
    return model


def _torch_twin() -> torch.nn.Sequential:
    return torch.nn.Sequential(
        torch.nn.Linear(3, 6), torch.nn.BatchNorm1d(6), torch.nn.Tanh(), torch.nn.Dropout(0.1), torch.nn.Linear(6, 2)
    )


def test_save_then_load_restores_every_value(tmp_path):
    model = _trained_mlp()
    path = tmp_path / "model.safetensors"
    nn.save(model, path)
    fresh = nn.MLP([3, 6, 2], activation="tanh", batchnorm=True, dropout=0.1)
    assert nn.load(fresh, path) is fresh
    for key, value in model.state_dict().items():
        loaded = fresh.state_dict()[key]
        np.testing.assert_array_equal(loaded, value)
        assert loaded.dtype == value.dtype
    x = ag.Tensor(rng.standard_normal((4, 3)))
    np.testing.assert_array_equal(fresh.eval()(x).numpy(), model.eval()(x).numpy())


def test_a_saved_model_loads_into_the_torch_twin_and_gives_the_same_outputs(tmp_path):
    model = _trained_mlp().eval()
    path = str(tmp_path / "model.safetensors")
    nn.save(model, path)
    twin = _torch_twin().double().eval()
    twin.load_state_dict(safetensors.torch.load_file(path))  # strict: every key and shape matches
    assert int(twin[1].num_batches_tracked) == 3
    x = rng.standard_normal((5, 3))
    np.testing.assert_allclose(model(ag.Tensor(x)).numpy(), twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)


def test_float32_models_round_trip_to_torch_in_float32(tmp_path):
    ag.set_default_dtype(np.float32)
    model = nn.MLP([3, 4, 2], batchnorm=True).eval()
    path = tmp_path / "model32.safetensors"
    nn.save(model, path)
    loaded = safetensors.torch.load_file(path)
    assert loaded["0.weight"].dtype == torch.float32 and loaded["1.num_batches_tracked"].dtype == torch.int64
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).eval()
    twin.load_state_dict(loaded)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(model(ag.Tensor(x)).numpy(), twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_a_file_saved_by_torch_loads_here(tmp_path):
    twin = _torch_twin().double().eval()
    twin(torch.randn(8, 3, dtype=torch.float64))  # eval: buffers stay; still a valid state
    path = tmp_path / "from_torch.safetensors"
    safetensors.torch.save_file(twin.state_dict(), path)
    model = nn.load(nn.MLP([3, 6, 2], activation="tanh", batchnorm=True, dropout=0.1), path).eval()
    x = rng.standard_normal((3, 3))
    np.testing.assert_allclose(model(ag.Tensor(x)).numpy(), twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)


def test_save_replaces_the_file_whole_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "model.safetensors"
    nn.save(nn.Linear(2, 2), path)
    nn.save(nn.Linear(3, 5), path)  # overwriting
    assert os.listdir(tmp_path) == ["model.safetensors"]
    assert safetensors.numpy.load_file(path)["weight"].shape == (5, 3)


def test_a_failed_save_leaves_the_old_file_untouched(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    nn.save(nn.Linear(2, 2), path)
    before = path.read_bytes()

    def broken_write(self, data):
        with open(self, "wb") as f:
            f.write(data[:10])
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_bytes", broken_write)
    with pytest.raises(OSError, match="disk full"):
        nn.save(nn.Linear(2, 2), path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.safetensors"]


# a process that saves a 16 MB model over and over, until it is killed
_SAVER = """
import sys
import nn
model = nn.Linear(2048, 2048)
while True:
    nn.save(model, sys.argv[1])
"""


def test_a_save_killed_mid_write_leaves_the_old_file_or_the_new_and_the_next_save_cleans_up(tmp_path):
    path = tmp_path / "model.safetensors"
    nn.save(nn.Linear(2, 2), path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    saver = subprocess.Popen([sys.executable, "-c", _SAVER, str(path)], cwd=ROOT, env=env)
    temporary = tmp_path / f".model.safetensors.tmp-{saver.pid}"
    try:
        deadline = time.monotonic() + 10
        while not (temporary.exists() and temporary.stat().st_size > 0):  # caught in the middle of a write
            assert saver.poll() is None and time.monotonic() < deadline, "the saving process never started a save"
            time.sleep(0.001)
    finally:
        saver.kill()
        saver.wait()
    assert set(os.listdir(tmp_path)) <= {"model.safetensors", temporary.name}
    shape = safetensors.numpy.load_file(path)["weight"].shape  # a complete file: the first one or a whole new one
    assert shape in {(2, 2), (2048, 2048)}
    nn.save(nn.Linear(3, 3), path)
    assert os.listdir(tmp_path) == ["model.safetensors"]  # the dead process's temporary is gone


def test_only_temporaries_of_processes_that_died_are_removed(tmp_path):
    finished = subprocess.Popen(["true"])
    finished.wait()  # its process id now belongs to no running process
    running = subprocess.Popen(["sleep", "30"])
    try:
        dead, alive = (f".model.safetensors.tmp-{p.pid}" for p in (finished, running))
        names = {dead, alive, ".model.safetensors.tmp-notapid", f".other.safetensors.tmp-{finished.pid}"}
        for name in names:
            (tmp_path / name).write_bytes(b"partial")
        nn.save(nn.Linear(2, 2), tmp_path / "model.safetensors")
        assert set(os.listdir(tmp_path)) == {"model.safetensors", *names} - {dead}
    finally:
        running.kill()
        running.wait()


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], ids=oct)
def test_a_saved_file_gets_the_mode_of_a_plain_new_file_or_keeps_the_replaced_files_mode(tmp_path, umask):
    def mode_of(name):
        return stat.S_IMODE((tmp_path / name).stat().st_mode)

    previous = os.umask(umask)
    try:
        (tmp_path / "plain").write_bytes(b"")  # what any program's new file gets
        nn.save(nn.Linear(2, 2), tmp_path / "new.safetensors")
        assert mode_of("new.safetensors") == mode_of("plain")
        for mode in (0o640, 0o644, 0o600):
            os.chmod(tmp_path / "new.safetensors", mode)
            nn.save(nn.Linear(2, 2), tmp_path / "new.safetensors")
            assert mode_of("new.safetensors") == mode
    finally:
        os.umask(previous)


def test_a_truncated_file_is_an_error_naming_the_path(tmp_path):
    path = tmp_path / "model.safetensors"
    nn.save(nn.Linear(4, 4), path)
    data = path.read_bytes()
    for cut in (len(data) - 10, 30, 3):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=rf"nn.load: {re.escape(str(path))} \({cut} bytes\) is not a complete safetensors file: .*truncated"):
            nn.load(nn.Linear(4, 4), path)


def test_a_foreign_file_is_an_error_naming_the_path(tmp_path):
    path = tmp_path / "notes.safetensors"
    path.write_text("these are my notes, not a model\n" * 4)
    with pytest.raises(ValueError, match=rf"nn.load: {re.escape(str(path))} \(128 bytes\) is not a complete safetensors file: .*header"):
        nn.load(nn.Linear(4, 4), path)


def test_a_missing_file_or_one_for_another_model_is_an_error_naming_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nn.load: no such file: .*absent.safetensors"):
        nn.load(nn.Linear(2, 2), tmp_path / "absent.safetensors")
    path = tmp_path / "other.safetensors"
    nn.save(nn.Linear(2, 3), path)
    with pytest.raises(RuntimeError, match=rf"(?s)nn.load: {re.escape(str(path))} does not fit this model: .*weight: expected shape \(2, 2\), got \(3, 2\)"):
        nn.load(nn.Linear(2, 2), path)
    with pytest.raises(RuntimeError, match="(?s)missing keys: 0.weight, 0.bias.*unexpected keys: bias, weight"):
        nn.load(nn.Sequential(nn.Linear(2, 3)), path)
