"""The autograd-core command's options and endings: every option checked before any work (argparse's usage error,
no traceback), optimizers built with their own defaults, and runs that fail, diverge or are interrupted leaving
the output folder as it was, in one line."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import nn
from cli import train as cli_train
from cli.main import main
from cli.train import parser

ROOT = Path(__file__).resolve().parent.parent
# a small, quick run; each test adds its own options
QUICK = ["train", "--dataset", "moons", "--samples", "200", "--hidden", "8", "--epochs", "2", "--no-progress"]


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize(
    "options, message",
    [
        (["--lr", "-0.1"], "argument --lr: must be a finite number > 0, got -0.1"),
        (["--lr", "nan"], "argument --lr: must be a finite number > 0, got nan"),
        (["--noise", "-1"], "argument --noise: must be a finite number >= 0, got -1"),
        (["--weight-decay", "-0.01"], "argument --weight-decay: must be a finite number >= 0, got -0.01"),
        (["--clip-grad-norm", "-1"], "argument --clip-grad-norm: must be a finite number > 0, got -1"),
        (["--dropout", "1"], r"argument --dropout: must be a probability in \[0, 1\), got 1"),
        (["--dropout", "-0.5"], r"argument --dropout: must be a probability in \[0, 1\), got -0.5"),
        (["--seed", "-3"], "argument --seed: must be an integer >= 0, got -3"),
        (["--samples", "8"], "argument --samples: 8 samples are too few to split into training, validation and test"),
        (["--optimizer", "rprop", "--weight-decay", "0.1"], "argument --weight-decay: rprop has no weight decay"),
        (["--hidden", "1000000", "1000000"], r"the model and data would need about [\d,.]+ GiB of memory, more than"),
        (["--samples", "100000000000"], r"need about [\d,.]+ GiB of memory.*or fewer --samples"),
    ],
)
def test_bad_options_are_usage_errors_before_any_work(
    options: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if "memory" in message and cli_train._available_memory() is None:
        pytest.skip("this system does not tell the memory available")
    out = tmp_path / "runs" / "run"
    with pytest.raises(SystemExit) as exit_info:
        main([*QUICK, "--out", str(out), *options])
    assert exit_info.value.code == 2
    printed = capsys.readouterr()
    assert printed.err.startswith("usage: autograd-core train ")
    assert printed.err.splitlines()[-1].startswith("autograd-core train: error: ")
    assert re.search(message, printed.err) and printed.out == ""  # nothing made or trained
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("optimizer, theirs", [("adamw", torch.optim.AdamW), ("adam", torch.optim.Adam),
                                               ("sgd", torch.optim.SGD), ("rprop", torch.optim.Rprop)])  # fmt: skip
def test_optimizers_get_their_own_defaults_unless_an_option_is_given(optimizer: str, theirs: type) -> None:
    args = parser().parse_args([*QUICK, "--optimizer", optimizer])
    built = cli_train._model(args, 2, 2)[1]
    default = theirs([torch.zeros(1, requires_grad=True)], lr=0.1).defaults.get("weight_decay")
    assert built.param_groups[0].get("weight_decay") == default  # AdamW's 0.01; Rprop has none
    if default is not None:
        args = parser().parse_args([*QUICK, "--optimizer", optimizer, "--weight-decay", "0.003"])
        assert cli_train._model(args, 2, 2)[1].param_groups[0]["weight_decay"] == 0.003


def test_rprop_trains_and_one_epoch_is_singular(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*QUICK, "--optimizer", "rprop", "--epochs", "1", "--out", str(tmp_path / "run")]) == 0
    assert "; 1 epoch trained in " in capsys.readouterr().out
    assert len(json.loads((tmp_path / "run" / "history.json").read_text())["loss"]) == 1


def test_early_stopping_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frozen = ["--optimizer", "sgd", "--lr", "1e-12", "--epochs", "9", "--patience", "2"]  # nothing improves
    assert main([*QUICK, *frozen, "--out", str(tmp_path / "run")]) == 0
    assert ("3 epochs trained in" in (out := capsys.readouterr().out) and "; stopped early: val_loss had not "
            "improved for 2 epochs, so the weights of epoch 1 were kept") in out  # fmt: skip


def test_a_new_run_replaces_the_folder_whole_and_a_failed_one_leaves_it_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main([*QUICK, "--out", str(out)]) == 0
    first = _outputs(out)

    def interrupted_save(self: nn.history.History, path: Path) -> None:
        raise KeyboardInterrupt  # Ctrl-C after the model file was written into the new folder

    monkeypatch.setattr(nn.history.History, "save", interrupted_save)
    assert main([*QUICK, "--epochs", "3", "--out", str(out)]) == 130
    assert capsys.readouterr().err == (f"autograd-core train: interrupted after 3 epochs of training, while testing "
                                       f"and writing the results; nothing written, {out} left as it was\n")
    assert _outputs(out) == first and os.listdir(tmp_path) == ["run"]  # no new model beside the old history
    monkeypatch.undo()
    assert main([*QUICK, "--epochs", "3", "--out", str(out)]) == 0
    assert len(json.loads((out / "history.json").read_text())["loss"]) == 3 and os.listdir(tmp_path) == ["run"]


def test_a_folder_holding_other_files_or_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "a-file").write_text("mine")
    refusals = ((tmp_path, "holds files that no run wrote (a-file, notes.txt)"), (tmp_path / "a-file", "is a file"))
    for out, message in refusals:
        with pytest.raises(SystemExit):
            main([*QUICK, "--out", str(out)])
        assert message in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["a-file", "notes.txt"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_diverging_run_says_where_in_one_line_and_writes_no_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main([*QUICK, "--optimizer", "sgd", "--lr", "1e8", "--out", str(out)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and re.fullmatch(
        rf"autograd-core train: the loss became (nan|inf) in epoch \d+, batch \d of 3; try a smaller --lr or "
        rf"--clip-grad-norm 1; nothing written, {re.escape(str(out))} not made", lines[0]
    )
    assert os.listdir(tmp_path) == []


def test_ctrl_c_ends_in_one_line_and_leaves_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "run"
    # 2000 samples: 1400 to train on, in 22 batches of 64
    command = [sys.executable, "-m", "cli", "train", "--dataset", "moons", "--samples", "2000", "--epochs", "100000",
               "--out", str(out), "--progress"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    run = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in run.stderr:  # the progress: once epoch 1's line is there, epoch 2 is under way
            if line.split("\r")[-1].startswith("epoch 1/100000: loss "):
                break
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=30)
    finally:
        run.kill()
    assert run.returncode == 130 and "Traceback" not in err
    assert re.fullmatch(
        rf"autograd-core train: interrupted (in|after|while validating after) epoch \d+/100000(, batch \d+/22)?; "
        rf"\d+ epochs? finished; nothing "
        rf"written, {re.escape(str(out))} not made", err.split("\r")[-1].splitlines()[-1].strip()
    )
    assert os.listdir(tmp_path) == []  # neither the folder nor the runs/ above it


def test_the_temporary_folder_of_a_killed_run_is_removed_by_the_next(tmp_path: Path) -> None:
    finished = subprocess.Popen(["true"])
    finished.wait()
    stale = tmp_path / f".run.tmp-{finished.pid}"
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"half")
    assert main([*QUICK, "--out", str(tmp_path / "run")]) == 0
    assert os.listdir(tmp_path) == ["run"]
