"""See the graph: ``draw_graph`` draws it with graphviz, ``trace`` prints it as the lectures' evaluation trace.

Both name the nodes the same way (numbering.py): user names where given, else ``w1, w2, ...`` for the inputs
(z0 = w) and ``z1 ... zT`` for the steps in topological order.
"""

from .draw import draw_graph
from .trace import trace

__all__ = ["draw_graph", "trace"]
