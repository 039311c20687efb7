"""Entry point of ``python -m footprint``: the command line, which lives above the library in
``cli`` (the one import of this package upwards, declared in the import contract)."""

import sys

from cli.main import main

sys.exit(main())
