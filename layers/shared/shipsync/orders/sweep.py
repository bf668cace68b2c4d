"""The stuck-order sweep (schedule): orders confirmed a while ago whose job has not finished are put back on
OrderQueue, and ops are paged about the ones overdue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger

from shipsync.ledger.records import OrderRecord
from shipsync.orders.messages import OrderMessage
from shipsync.ports import Alerts, MetricsSink, ShipmentLedgerPort

logger = Logger(child=True)


@dataclass
class StuckOrderSweep:
    """Re-drives orders confirmed a while ago whose job has not finished (no AWB, or not yet
    written back to Zoho), then pages ops about them.

    The webhook path cannot lose an order (nothing is acknowledged before SQS has it), but a
    message can die in the DLQ during a long Zoho or Shiprocket outage; this brings it back.
    """

    ledger: ShipmentLedgerPort
    enqueue: Callable[[OrderMessage], object]
    alerts: Alerts
    metrics: MetricsSink
    stuck_after: timedelta
    alert_after: timedelta
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def run(self) -> dict[str, int]:
        now = self.clock()
        stuck = self.ledger.open_jobs((now - self.stuck_after).isoformat(timespec="seconds"))
        overdue: list[OrderRecord] = []
        for entry in stuck:
            self.enqueue(
                OrderMessage(
                    salesorder_id=entry.salesorder_id, salesorder_number=entry.salesorder_number, source="sweep"
                )
            )
            self.ledger.update(entry.salesorder_id, redrive_count=entry.redrive_count + 1)
            confirmed = datetime.fromisoformat(entry.confirmed_at)
            if now - confirmed >= self.alert_after and not entry.alerted_stuck:
                overdue.append(entry)
                self.ledger.update(entry.salesorder_id, alerted_stuck=True)
        if overdue:
            self.metrics.count("StuckOrders", len(overdue))
            lines = "\n".join(
                f"- {e.salesorder_number}: confirmed {e.confirmed_at}, state {e.state}, "
                f"re-driven {e.redrive_count + 1}x"
                for e in overdue
            )
            self.alerts.page(
                f"{len(overdue)} order(s) stuck before shipping",
                f"These sales orders were confirmed over {self.alert_after} ago and are still not shipped and "
                f"written back to Zoho:\n{lines}",
                kind="StuckOrders",
            )
        logger.info("stuck-order sweep", extra={"redriven": len(stuck), "alerted": len(overdue)})
        return {"redriven": len(stuck), "alerted": len(overdue)}
