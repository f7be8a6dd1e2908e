"""``python -m evopolity``: the command line."""

import sys

from evopolity.cli import main

sys.exit(main())
