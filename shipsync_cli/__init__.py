"""``python -m shipsync_cli``: the command for the people who set up and run shipsync (README "The shipsync
command"). It acts as one of the stack's functions would: it takes the function's environment (from a deployed
stack through boto3, or from a running local stack's ``.local-stack.json``) and uses the layer's own clients.

Run from a checkout: the layer's package is put on the import path here, as Lambda mounts it at /opt/python.
"""

from __future__ import annotations

import sys
from pathlib import Path

_LAYER = Path(__file__).resolve().parent.parent / "layers" / "shared"
if _LAYER.is_dir() and str(_LAYER) not in sys.path:
    sys.path.insert(0, str(_LAYER))
