"""Beginner's PyTorch programs that run unchanged on this project once their imports point here.

Each program is written once, as text, with PyTorch's names (the shapes of PyTorch's own beginner tutorials and
d2l.ai's PyTorch chapters: tensors by hand, autograd by hand, nn + optim, a custom Module, a DataLoader loop with
accuracy by argmax). The test runs it twice: with PyTorch itself, and with its import lines swapped for this
project's, and nothing else changed. Deterministic programs must give PyTorch's numbers; programs that draw random
data or weights (another generator: the same distributions, not the same draws) must train to PyTorch's loss band.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
import pytest

# The only lines that change: PyTorch's imports, and this project's.
IMPORTS = {
    "import torch": "import autograd_core as torch",
    "from torch import nn, optim": "import nn, optim",
    "import torch.nn.functional as F": "import nn.functional as F",
    "from torch.utils.data import DataLoader, TensorDataset": "from nn.data import DataLoader, TensorDataset",
}
HEADER = "\n".join(IMPORTS) + "\n"


def ours(program: str) -> str:
    """The program with its import lines pointing at this project: the one change a user makes."""
    lines = program.split("\n")
    return "\n".join(IMPORTS.get(line, line) for line in lines)


def run(program: str) -> dict[str, Any]:
    """Execute a program's text (printing to nowhere); its variables afterwards, ``result`` among them."""
    namespace: dict[str, Any] = {"__name__": "program"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(program, "<program>", "exec"), namespace)  # noqa: S102  (the test's own program text)
    return namespace


# ---- 1. linear regression from scratch, d2l.ai 3.2: tensors, autograd and the update loop by hand --------------------
LINEAR_REGRESSION = HEADER + '''
import random

torch.manual_seed(0)
random.seed(0)
true_w = torch.tensor([2, -3.4])
true_b = 4.2
X = torch.normal(0, 1, (1000, len(true_w)))
y = torch.matmul(X, true_w) + true_b
y += torch.normal(0, 0.01, y.shape)
labels = y.reshape((-1, 1))


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


lr, num_epochs, batch_size = 0.03, 3, 10
for epoch in range(num_epochs):
    for X_b, y_b in data_iter(batch_size, X, labels):
        l = squared_loss(linreg(X_b, w, b), y_b)
        l.sum().backward()
        sgd([w, b], lr, batch_size)
    with torch.no_grad():
        train_l = squared_loss(linreg(X, w, b), labels)
        print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')

result = {
    "loss": float(train_l.mean()),
    "w_error": (true_w - w.reshape(true_w.shape)).abs().max().item(),
    "b_error": abs(true_b - b.item()),
    "dtype": str(w.dtype).replace("torch.", ""),
    "is_leaf": w.is_leaf and b.is_leaf,
}
'''


# ---- 2. autograd by hand: PyTorch's "Automatic differentiation" tutorial, deterministic -----------------------------
AUTOGRAD = HEADER + '''
x = torch.ones(5)
y = torch.zeros(3)
w = torch.linspace(-1, 1, 15).view(5, 3).clone().requires_grad_()
b = torch.arange(3, dtype=torch.float32).requires_grad_(True)
z = torch.matmul(x, w) + b
loss = F.binary_cross_entropy_with_logits(z, y)
print(f"Gradient function for z = {z.grad_fn}")
loss.backward()
w_grad, b_grad = w.grad.clone(), b.grad.clone()

z = torch.matmul(x, w) + b
with torch.no_grad():
    z_off = torch.matmul(x, w) + b
z_det = z.detach()

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
first = inp.grad.clone()
out.backward(torch.ones_like(out))
second = inp.grad.clone()
inp.grad.zero_()
out2 = (inp * 3).sum()
out2.backward()

s = torch.tensor(2.0, requires_grad=True)
t = s ** 3 + s.sin() * s
t.backward()

result = {
    "loss": loss.item(),
    "w_grad": w_grad.tolist(),
    "b_grad": b_grad.tolist(),
    "flags": [z.requires_grad, z_off.requires_grad, z_det.requires_grad, z.is_leaf, w.is_leaf],
    "first": first.tolist(),
    "second": second.tolist(),
    "after_zero": inp.grad.tolist(),
    "scalar": s.grad.item(),
    "sizes": [*w.size(), w.size(1), w.numel(), w.dim()],
}
'''


# ---- 3. nn + optim: concise softmax regression / MLP, with Module.apply for the initialisation --------------------
BLOBS = '''
torch.manual_seed(0)
centers = torch.tensor([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
train_y = torch.randint(0, 3, (600,))
train_X = torch.randn(600, 2) * 0.8 + centers[train_y]
test_y = torch.randint(0, 3, (300,))
test_X = torch.randn(300, 2) * 0.8 + centers[test_y]
'''

NN_OPTIM = HEADER + BLOBS + '''
net = nn.Sequential(nn.Flatten(), nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 3))


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.1)
        nn.init.zeros_(m.bias)


net.apply(init_weights)
loss_fn = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.2, momentum=0.9)
first_loss = None
for epoch in range(60):
    optimizer.zero_grad()
    loss = loss_fn(net(train_X), train_y)
    if first_loss is None:
        first_loss = loss.item()
    loss.backward()
    optimizer.step()

net.eval()
with torch.no_grad():
    test_loss = loss_fn(net(test_X), test_y).item()
    accuracy = (net(test_X).argmax(dim=1) == test_y).float().mean().item()
result = {"first": first_loss, "loss": test_loss, "accuracy": accuracy}
'''


# ---- 4. a custom Module with its own Parameter, Adam, train/eval modes ----------------------------------------------
CUSTOM_MODULE = HEADER + BLOBS + '''

class MLP(nn.Module):
    def __init__(self, num_inputs, num_hiddens, num_outputs):
        super().__init__()
        self.hidden = nn.Linear(num_inputs, num_hiddens)
        self.dropout = nn.Dropout(0.1)
        self.W = nn.Parameter(torch.randn(num_hiddens, num_outputs) * 0.1)
        self.b = nn.Parameter(torch.zeros(num_outputs))

    def forward(self, X):
        H = F.relu(self.hidden(X))
        return torch.matmul(self.dropout(H), self.W) + self.b


model = MLP(2, 64, 3)
optimizer = optim.Adam(model.parameters(), lr=0.01)
loss_fn = nn.CrossEntropyLoss()
losses = []
for step in range(150):
    model.train()
    loss = loss_fn(model(train_X), train_y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

model.eval()
with torch.no_grad():
    logits = model(test_X)
    accuracy = (logits.argmax(1) == test_y).sum().item() / len(test_y)
    test_loss = loss_fn(logits, test_y).item()
names = [name for name, _ in model.named_parameters()]
result = {"first": losses[0], "loss": test_loss, "accuracy": accuracy, "names": names,
          "count": sum(p.numel() for p in model.parameters())}
'''


# ---- 5. a DataLoader loop with accuracy by argmax: PyTorch's quickstart, train() and test() -------------------------
DATALOADER = HEADER + BLOBS + '''
train_dataloader = DataLoader(TensorDataset(train_X, train_y), batch_size=32, shuffle=True)
test_dataloader = DataLoader(TensorDataset(test_X, test_y), batch_size=64)


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork()
loss_fn = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=1e-1)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 10 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f}")
    return test_loss, correct


first_loss, _ = test(test_dataloader, model, loss_fn)
epochs = 8
for t in range(epochs):
    train(train_dataloader, model, loss_fn, optimizer)
    test_loss, accuracy = test(test_dataloader, model, loss_fn)
result = {"first": first_loss, "loss": test_loss, "accuracy": accuracy}
'''

TRAINING = {"nn_optim": NN_OPTIM, "custom_module": CUSTOM_MODULE, "dataloader": DATALOADER}


def test_only_the_import_lines_change() -> None:
    for program in (LINEAR_REGRESSION, AUTOGRAD, *TRAINING.values()):
        changed = [(a, b) for a, b in zip(program.split("\n"), ours(program).split("\n")) if a != b]
        assert changed == [(line, IMPORTS[line]) for line in IMPORTS]


def test_autograd_by_hand_gives_torchs_numbers() -> None:
    mine, theirs = run(ours(AUTOGRAD))["result"], run(AUTOGRAD)["result"]
    assert mine.keys() == theirs.keys()
    for key in theirs:
        np.testing.assert_allclose(np.asarray(mine[key], dtype=float), np.asarray(theirs[key], dtype=float),
                                   rtol=1e-5, atol=1e-7, err_msg=key)  # fmt: skip


def test_linear_regression_from_scratch_trains_as_torchs() -> None:
    mine, theirs = run(ours(LINEAR_REGRESSION))["result"], run(LINEAR_REGRESSION)["result"]
    assert mine["dtype"] == theirs["dtype"] == "float32" and mine["is_leaf"] and theirs["is_leaf"]
    for result in (mine, theirs):  # both recover the true parameters, to the noise's level
        assert result["loss"] < 1e-4 and result["w_error"] < 0.01 and result["b_error"] < 0.01
    assert mine["loss"] < 3 * theirs["loss"]


@pytest.mark.parametrize("name", TRAINING)
def test_training_programs_reach_torchs_loss_band(name: str) -> None:
    program = TRAINING[name]
    mine, theirs = run(ours(program))["result"], run(program)["result"]
    assert theirs["loss"] < 0.5 * theirs["first"] and theirs["accuracy"] > 0.85  # the program itself works
    assert mine["loss"] < 0.5 * mine["first"]
    assert mine["loss"] < max(1.5 * theirs["loss"], theirs["loss"] + 0.05)
    assert mine["accuracy"] > theirs["accuracy"] - 0.05
    for key in ("names", "count"):
        assert mine.get(key) == theirs.get(key)
