"""``python -m utils.predict``: the command line of :mod:`utils.predict.cli`."""

import sys

from .clips import main

sys.exit(main())
