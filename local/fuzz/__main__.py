"""``python -m local.fuzz``: see ``local.fuzz.run``."""

import sys

from local.fuzz.run import main

sys.exit(main())
