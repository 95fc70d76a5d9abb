"""``python -m bench.load``: the same as ``make loadtest``."""

import sys

from bench.load.run import main

sys.exit(main())
