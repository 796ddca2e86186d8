"""``ag.compile``: a function recorded once, then written out as straight-line numpy, its backward pass included.

The pieces, in the order a first call uses them:

* ``recording.py`` — what the engine tells a recording while it runs (every step, and the values that cannot be
  replayed), and ``CompileError``. The engine imports it, so it imports nothing of the engine.
* ``tracing.py`` — ``record``: runs the function on Tensors and writes down every step, then records the reverse
  sweep from a symbolic seed (a ``create_graph=True`` sweep: the derivative table's own rules, run on Tensors).
* ``program.py`` — the steps the results need, in order, and what the forward pass keeps for the backward.
* ``codegen.py`` — the program as Python text over numpy, compiled into functions.
* ``compiled.py`` — ``compile(fn)``: picks the program for a call's signature and runs it as one node of the graph.
"""

from .recording import CompileError, guard, recording_here

__all__ = ["CompileError", "guard", "recording_here"]
