"""Each function's layer logs under its own service name, as in Lambda, although all share one process here.

On Lambda every function is its own process with ``POWERTOOLS_SERVICE_NAME`` set before the layer is
imported, so the layer's ``Logger(child=True)`` loggers are ``<service>.<module>``: children of the
handler's service logger, printed by its JSON formatter with the service, the correlation id and the
appended keys. Here the layer is imported once for all five functions, before any service name is
set: its loggers are ``service_undefined.<module>``, with no handler of their own. ``ServiceLogRouter``
also hands each of their records to the service logger of the function running in the calling thread.

Records still propagate to the root logger as any record does (pytest's capture, a script's own
handler); a tool that writes the stack's log adds ``skip_routed`` to its root handler so the file holds
each routed record once, as JSON.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

# Powertools' name for a logger created without a service.
UNDEFINED_SERVICE = "service_undefined"
_ROUTED = "shipsync_routed_to"


class ServiceLogRouter(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self._running = threading.local()

    @contextlib.contextmanager
    def running(self, service: str | None) -> Iterator[None]:
        """Records logged in this thread meanwhile belong to ``service``."""
        previous = getattr(self._running, "service", None)
        self._running.service = service
        try:
            yield
        finally:
            self._running.service = previous

    def emit(self, record: logging.LogRecord) -> None:
        service = getattr(self._running, "service", None)
        if not service:
            return  # outside any invocation: nothing to add to the record's usual way
        target = logging.getLogger(service)
        if record.levelno < target.getEffectiveLevel() or not target.handlers:
            return
        setattr(record, _ROUTED, service)
        for handler in target.handlers:
            handler.handle(record)


def install() -> ServiceLogRouter:
    """The process's router (created on first use, shared by every runner in the process)."""
    parent = logging.getLogger(UNDEFINED_SERVICE)
    for handler in parent.handlers:
        if isinstance(handler, ServiceLogRouter):
            return handler
    router = ServiceLogRouter()
    parent.addHandler(router)
    return router


def skip_routed(record: logging.LogRecord) -> bool:
    """A filter for a log file's root handler: a record the router printed as JSON is not printed again."""
    return not hasattr(record, _ROUTED)


@contextlib.contextmanager
def stack_log(path: Path) -> Iterator[None]:
    """Everything a local stack prints goes to ``path``: the handlers' JSON lines on stdout (bound when they are
    imported at stack start) and every other record, each routed record once. Powertools' warning on every
    invocation that published no metric (webhook acks) is noise here."""
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with path.open("w", encoding="utf-8") as log_file, contextlib.redirect_stdout(log_file):
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=log_file, force=True
        )
        logging.getLogger().handlers[0].addFilter(skip_routed)
        try:
            yield
        finally:
            logging.shutdown()
