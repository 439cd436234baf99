"""``python -m indexlab.cli``."""

import sys

from indexlab.cli import main

sys.exit(main())
