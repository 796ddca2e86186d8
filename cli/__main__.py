"""``python3 -m cli``: the same as the ``autograd-core`` command."""

import sys

from .main import main

sys.exit(main())
