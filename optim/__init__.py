"""optim: optimizers that update Tensors in place (under no_grad) from their ``.grad``, and learning-rate schedules.

>>> opt = optim.Adam(model.parameters(), lr=1e-3)
>>> opt.zero_grad(); loss.backward(); opt.step()

PyTorch's rules and defaults: SGD (momentum, Nesterov), Adagrad, RMSprop, Adadelta, Adam (AMSGrad), AdamW, Rprop.
From the lectures: Rprop(backtrack=True), QuickProp and Newton. Schedules are in ``optim.lr_scheduler``.
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .newton import Newton
from .optimizer import Optimizer
from .quickprop import QuickProp
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = [
    "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Newton", "Optimizer", "QuickProp", "RMSprop", "Rprop", "lr_scheduler",
]
