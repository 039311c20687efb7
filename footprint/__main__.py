"""Entry point of ``python -m footprint``."""

import sys

from footprint.cli import main

sys.exit(main())
