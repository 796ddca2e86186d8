"""The notebooks are committed without outputs: diffs stay readable and nothing stale is shown as a result. Their
first cell works inside the clone and outside it, and progress in Jupyter comes without tqdm's IProgress warning.

Every result a notebook shows is made when it runs (``python -m pytest`` executes them with nbmake), so a stored
output or execution count can only be stale. Clear them with ``jupyter nbconvert --clear-output --inplace``.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_has_no_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    dirty = [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; clear them before committing"


def _first_code_cell(path: Path) -> str:
    return next(cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code")


def test_the_first_cell_imports_the_clone_inside_it_and_the_installed_package_elsewhere(tmp_path: Path) -> None:
    cells = {_first_code_cell(path) for path in NOTEBOOKS}
    assert len(cells) == 1, "the notebooks' first cells differ; they are one set-up, written once"
    (cell,) = cells
    script = f"{cell}\nimport autograd_core\nprint(autograd_core.__file__)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    found = {}
    for where, cwd in (("inside", ROOT / "notebooks"), ("outside", tmp_path)):  # a notebook opened outside a clone
        done = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{where} the clone: {done.stderr}"
        found[where] = Path(done.stdout.strip())
    assert found["inside"].is_relative_to(ROOT)  # the clone's package, not another installed copy


def test_progress_in_jupyter_without_ipywidgets_gives_no_iprogress_warning(tmp_path: Path) -> None:
    nbclient = pytest.importorskip("nbclient")
    if importlib.util.find_spec("ipywidgets") is not None:
        pytest.skip("ipywidgets is installed: the notebook bar is tqdm's widget")
    code = """
import nn, optim
from nn.data import DataLoader, TensorDataset
from nn.datasets import make_moons
from nn.training import fit
X, y = make_moons(n_samples=64, seed=0)
model = nn.MLP([2, 4, 2])
fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), DataLoader(TensorDataset(X, y), 16), 1)
"""  # progress=None: shown, since this runs in a notebook
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_first_code_cell(NOTEBOOKS[0]) + code)])
    nbclient.NotebookClient(notebook, timeout=60, resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    printed = "".join(output.get("text", "") for output in notebook.cells[0].outputs)
    assert "epoch 1/1: loss " in printed and "IProgress" not in printed
