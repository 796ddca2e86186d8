"""See the graph: ``draw_graph`` draws it with graphviz, ``trace`` prints it as the lectures' evaluation trace,
``animate`` steps through the forward pass and the reverse sweep on the drawing.

Both name the nodes the same way (numbering.py): user names where given, else ``w1, w2, ...`` for the inputs
(z0 = w) and ``z1 ... zT`` for the steps in topological order.
"""

from .animate import Animation, animate
from .draw import draw_graph
from .trace import trace

__all__ = ["Animation", "animate", "draw_graph", "trace"]
