"""``python -m local.invoke <FunctionLogicalId> <event.json>``: ``sam local invoke`` without containers.

Starts the local stack (API on a free port), runs the function's handler once in-process with
the event file's content and prints the handler's response as JSON on stdout, as
``sam local invoke`` does; everything else (stack and function logs) goes to stderr. A
handler exception prints Lambda's error document and exits 1. The webhook and admin tokens
are the fixed ones the sample events carry (``SAMPLE_EVENT_TOKENS``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import traceback
from pathlib import Path

from local.stack import DEFAULT_TEMPLATE, LocalStack

# The tokens the sample events under events/ carry, so they authenticate as they are.
SAMPLE_EVENT_TOKENS = {
    "zoho_webhook": "local-zoho-webhook-token",
    "shiprocket_webhook": "local-shiprocket-webhook-token",
    "remittance_webhook": "local-remittance-webhook-token",
    "admin": "local-admin-token",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.invoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("function", help="logical id in template.yaml, e.g. OrderConfirmedFunction")
    parser.add_argument("event", type=Path, help="JSON event file, e.g. events/order_confirmed/webhook_json.json")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    event = json.loads(args.event.read_text(encoding="utf-8"))

    stdout = sys.stdout
    # Function loggers bind the stream they find at import: route them to stderr like sam does.
    with contextlib.redirect_stdout(sys.stderr):
        stack = LocalStack(args.template, api_port=0, tokens=SAMPLE_EVENT_TOKENS)
        stack.start()
        try:
            if args.function not in stack.runner.functions:
                known = ", ".join(sorted(stack.runner.functions))
                print(f"unknown function {args.function!r}; the template defines: {known}", file=sys.stderr)
                return 2
            try:
                result = stack.invoke(args.function, event)
            except Exception as exc:
                error = {
                    "errorMessage": str(exc),
                    "errorType": type(exc).__name__,
                    "stackTrace": traceback.format_tb(exc.__traceback__),
                }
                print(json.dumps(error), file=stdout)
                return 1
        finally:
            stack.stop()
    print(json.dumps(result), file=stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
