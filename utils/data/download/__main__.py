"""``python -m utils.data.download ...``: runs :func:`utils.data.download.cli.main`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
