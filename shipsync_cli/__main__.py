"""``python -m shipsync_cli COMMAND``; exit 0 when all is well, 1 when the command found problems, 2 when it could
not run (no stack, bad configuration, a provider that would not answer)."""

from __future__ import annotations

import sys

from shipsync_cli.app import main

sys.exit(main(sys.argv[1:]))
