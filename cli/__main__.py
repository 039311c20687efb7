"""``python -m cli``: the same command line as ``python -m footprint``."""

import sys

from cli.main import main

sys.exit(main())
