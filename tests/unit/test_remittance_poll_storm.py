"""The remittance poll under a storm (issue 11's chaos day): one order's answer lost to a transient fault no
longer costs the whole run (which, asking every open COD order, never finished at 10 % of calls failing)."""

from __future__ import annotations

import pytest

from shipsync.domain.models import ShiprocketOrderDetails
from shipsync.errors import RateLimited, TokenRejected, TransientError
from tests.unit.test_cod_remittance import UTR, FakeOrders, World


class StormyOrders(FakeOrders):
    """orders/show failing with ``error`` for the orders in ``failing``."""

    def __init__(self, failing: set[int], error: Exception) -> None:
        super().__init__()
        self.failing, self.error = failing, error

    def get_order(self, sr_order_id: int) -> ShiprocketOrderDetails:
        if sr_order_id in self.failing:
            raise self.error
        return super().get_order(sr_order_id)


def open_orders(world: World, orders: FakeOrders) -> None:
    world.job.shiprocket = orders
    world.ledger.add("AWB-2")
    world.ledger.add("AWB-3")
    for awb, sr_order_id in (("19041234567890", 11), ("AWB-2", 12), ("AWB-3", 13)):
        world.ledger.update_awb(awb, cod_open="1", sr_order_id=sr_order_id, delivered_at="2025-06-11T10:00:00+00:00")
        orders.remitted[sr_order_id] = (UTR, "2025-06-12")


@pytest.mark.parametrize(
    "error",
    [TransientError("shiprocket: HTTP 502: Bad Gateway"), RateLimited("shiprocket: rate limited (HTTP 429)")],
)
def test_an_order_lost_to_a_transient_fault_is_left_for_the_next_poll_and_the_others_are_paid(
    error: TransientError,
) -> None:
    world = World()
    orders = StormyOrders({12}, error)
    open_orders(world, orders)

    result = world.job.poll(aging_days=10)

    assert result["unread"] == 1
    assert result["remitted"] == 2
    assert sorted(message.line.awb for message in world.fanned) == ["19041234567890", "AWB-3"]
    assert world.metrics.counts["RemittancePollUnread"] == 1

    orders.failing.clear()  # the next poll reads it
    assert world.job.poll(aging_days=10)["unread"] == 0
    assert "AWB-2" in {message.line.awb for message in world.fanned}


def test_a_rejected_token_still_ends_the_run_so_the_token_is_refreshed() -> None:
    world = World()
    open_orders(world, StormyOrders({12}, TokenRejected("shiprocket", 4)))
    with pytest.raises(TokenRejected):
        world.job.poll(aging_days=10)
