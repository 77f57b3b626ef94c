"""``python -m utils.predict``: the command line of :mod:`utils.predict.cli`."""

import sys

from .cli import main

sys.exit(main())
