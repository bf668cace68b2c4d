"""Each function's layer logs under its own service name, as in Lambda, although all share one process here.

On Lambda every function is its own process with ``POWERTOOLS_SERVICE_NAME`` set before the layer is
imported, so the layer's ``Logger(child=True)`` loggers are ``<service>.<module>``: children of the
handler's service logger, printed by its JSON formatter with the service, the correlation id and the
appended keys. Here the layer is imported once for all five functions, before any service name is
set: its loggers are ``service_undefined.<module>``, with no handler of their own. ``ServiceLogRouter``
hands each of their records to the service logger of the function running in the calling thread.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

# Powertools' name for a logger created without a service.
UNDEFINED_SERVICE = "service_undefined"


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
        target = logging.getLogger(service) if service else None
        if target is None or not target.handlers:
            # Outside any invocation (a stack start-up step), or a service whose handler module set none.
            logging.getLogger().handle(record)
            return
        if record.levelno >= target.getEffectiveLevel():
            for handler in target.handlers:
                handler.handle(record)


def install(level: str | int = logging.INFO) -> ServiceLogRouter:
    """Route the layer's loggers (once per process; the same router for every runner)."""
    parent = logging.getLogger(UNDEFINED_SERVICE)
    for handler in parent.handlers:
        if isinstance(handler, ServiceLogRouter):
            return handler
    router = ServiceLogRouter()
    parent.addHandler(router)
    parent.setLevel(level)
    parent.propagate = False
    return router
