"""The ops views' reading (``ops.story``): the ledger and the restock ledger, and the Zoho organisation for links."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shipsync import wiring

if TYPE_CHECKING:
    from shipsync.ops.reconcile import Reconciler
    from shipsync.ops.story import StoryReader


def story_reader() -> StoryReader:
    from shipsync.ledger.restock import DynamoRestockLedger
    from shipsync.ops.story import StoryReader

    ledger = wiring.ledger()
    # The organisation id names the Zoho web page of the order; the secret is read (cached), Zoho is not called.
    organization_id = str(wiring.token_store().get("zoho").get("organization_id") or "")
    return StoryReader(
        ledger, DynamoRestockLedger(wiring.common_settings().ledger_table, ledger), organization_id=organization_id
    )


def reconciler(status_queue_url: str) -> Reconciler:
    """``status_queue_url``: where re-sent tracking events go (the order function's own environment does not name
    the StatusQueue; the command takes it from the stack)."""
    from shipsync.adapters.queues import send
    from shipsync.ledger.restock import DynamoRestockLedger
    from shipsync.ops.reconcile import Reconciler
    from shipsync.orders.wiring import settings as order_settings

    ledger = wiring.ledger()
    settings = wiring.common_settings()
    order_queue_url = order_settings().order_queue_url
    return Reconciler(
        ledger,
        DynamoRestockLedger(settings.ledger_table, ledger),
        wiring.shiprocket_client(),
        wiring.zoho_client(),
        send_status=lambda message: send(status_queue_url, message, group=message.event.awb),
        # The StatusQueue is FIFO, by AWB; the OrderQueue is a standard queue.
        send_order=lambda message: send(order_queue_url, message),
    )
