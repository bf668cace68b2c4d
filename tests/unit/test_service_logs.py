"""The local runner gives the layer's log records to the running function's service logger, as Lambda would."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest

from local.runner.service_logs import UNDEFINED_SERVICE, install, skip_routed


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def services() -> Iterator[dict[str, _Collect]]:
    collected = {name: _Collect() for name in ("order-confirmed", "shipment-status", "root")}
    for name in ("order-confirmed", "shipment-status"):
        logging.getLogger(name).addHandler(collected[name])
        logging.getLogger(name).setLevel(logging.INFO)
    collected["root"].addFilter(skip_routed)
    logging.getLogger().addHandler(collected["root"])
    yield collected
    for name in ("order-confirmed", "shipment-status"):
        logging.getLogger(name).removeHandler(collected[name])
    logging.getLogger().removeHandler(collected["root"])


def test_a_layer_record_reaches_the_service_of_the_function_running_in_its_thread(
    services: dict[str, _Collect],
) -> None:
    router = install()
    layer_log = logging.getLogger(f"{UNDEFINED_SERVICE}.shipsync.orders.job")

    def shipment_status_invocation() -> None:
        with router.running("shipment-status"):
            layer_log.warning("status moved")

    with router.running("order-confirmed"):
        thread = threading.Thread(target=shipment_status_invocation)
        thread.start()
        thread.join()
        layer_log.warning("order shipped")

    assert [r.getMessage() for r in services["order-confirmed"].records] == ["order shipped"]
    assert [r.getMessage() for r in services["shipment-status"].records] == ["status moved"]
    # A log file's own handler, filtered with skip_routed, does not print them a second time.
    assert services["root"].records == []
    assert install() is router  # every runner of the process shares it


def test_outside_any_invocation_a_layer_record_goes_its_usual_way(services: dict[str, _Collect]) -> None:
    install()
    logging.getLogger(f"{UNDEFINED_SERVICE}.shipsync.adapters").warning("stack start-up")
    assert [r.getMessage() for r in services["root"].records] == ["stack start-up"]
    assert services["order-confirmed"].records == []
