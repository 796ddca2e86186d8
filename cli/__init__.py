"""The ``autograd-core`` command and the main demo, built on autograd_core, nn and optim (never imported by them)."""
