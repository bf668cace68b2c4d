"""An order's story from the ledger (ops.story): found by number, Zoho id or AWB; its steps, shipments, payments,
restocks and open problems; and nothing in it a buyer's phone or address."""

from __future__ import annotations

from typing import Any

from shipsync.ledger.records import AwbRecord, JobState, RestockRecord, RestockState
from shipsync.ops.story import StoryReader, render
from tests.unit.memory_ledger import MemoryLedger


class Restocks:
    def __init__(self, restocks: dict[str, RestockRecord] | None = None, returns: dict[str, Any] | None = None) -> None:
        self._restocks = restocks or {}
        self._returns = returns or {}
        self.asked: list[str] = []

    def restock(self, awb: str) -> RestockRecord | None:
        self.asked.append(awb)
        return self._restocks.get(awb)

    def returns(self, salesorder_id: str) -> dict[str, Any]:
        return self._returns


def shipped(ledger: MemoryLedger, **awb_fields: Any) -> None:
    ledger.ensure("1947583000000123031", "SO-00031")
    ledger.update(
        "1947583000000123031",
        state=JobState.SYNCED,
        order_ref="SO-00031",
        sr_order_id=612345031,
        shipment_id=712345031,
        awb="19041234560031",
        courier_name="Delhivery Surface",
        pickup_requested=True,
        pickup_scheduled_date="2025-06-12",
        zoho_fields_written=True,
        zoho_package_id="PKG-31",
        zoho_shipment_id="SHP-31",
        shipped_snapshot={"phone": "+919845012345", "address": "No. 14, 3rd Cross", "pincode": "560038"},
    )
    ledger.put_awb(
        AwbRecord(
            awb="19041234560031",
            salesorder_id="1947583000000123031",
            salesorder_number="SO-00031",
            courier_name="Delhivery Surface",
            created_at="2025-06-11T10:05:00+00:00",
            **awb_fields,
        )
    )


def test_a_delivered_and_remitted_order_tells_every_step_by_number_id_or_awb() -> None:
    ledger = MemoryLedger()
    shipped(
        ledger,
        status="Delivered",
        transitions=[
            {"from": "Pickup Scheduled", "to": "Picked Up", "event_time": "2025-06-11T14:00:00+00:00"},
            {"from": "Picked Up", "to": "Delivered", "event_time": "2025-06-13T11:20:00+00:00"},
        ],
        delivered_at="2025-06-13T11:20:00+00:00",
        payment_id="PAY-9",
        remitted_utr="UTR-1",
        remitted_at="2025-06-19T09:00:00+00:00",
        charges_paise=6250,
    )
    reader = StoryReader(ledger, Restocks(), organization_id="60012345678")

    story = reader.story("SO-00031")

    assert story is not None
    assert reader.story("1947583000000123031") == reader.story("19041234560031") == story
    assert story.shiprocket["sr_order_id"] == 612345031
    assert story.links["zoho_salesorder"].endswith("/60012345678#/salesorders/1947583000000123031")
    steps = [step.what for step in story.steps]
    assert "AWB 19041234560031 with Delhivery Surface" in steps
    assert "Zoho package PKG-31, shipment order SHP-31" in steps
    [shipment] = story.shipments
    moves = [step.what for step in shipment.steps]
    assert moves[1:3] == ["Pickup Scheduled -> Picked Up", "Picked Up -> Delivered"]
    assert "COD paid in Zoho Books: payment PAY-9, UTR UTR-1, charges 62.50" in moves
    assert story.problems == []
    text = render(story)
    assert "No open problems." in text
    # The shipped snapshot holds the buyer's phone and address: the story never does.
    assert "9845012345" not in text
    assert "3rd Cross" not in text
    assert "9845012345" not in str(story.as_dict())


def test_an_rto_with_a_failed_restock_and_a_waiting_remittance_are_open_problems() -> None:
    ledger = MemoryLedger()
    shipped(ledger, status="RTO Delivered", remittance_problem="remitted but came back (RTO)")
    failed = RestockRecord(
        awb="19041234560031",
        kind="rto",
        salesorder_id="1947583000000123031",
        state=RestockState.FAILED,
        salesreturn_id="SR-1",
        failure_reason="Zoho refused the receive: warehouse closed",
    )
    restocks = Restocks({"19041234560031": failed})

    story = StoryReader(ledger, restocks).story("SO-00031")

    assert story is not None
    assert story.problems == [
        "AWB 19041234560031: remittance: remitted but came back (RTO)",
        "AWB 19041234560031: restock failed: Zoho refused the receive: warehouse closed",
    ]
    assert restocks.asked == ["19041234560031"]
    assert "restock failed: sales return SR-1, receive -, credit note -" in [s.what for s in story.shipments[0].steps]


def test_a_failed_job_says_why_and_an_unknown_key_has_no_story() -> None:
    ledger = MemoryLedger()
    ledger.ensure("1947583000000123008", "SO-00008")
    ledger.update("1947583000000123008", state=JobState.INVALID, failure_reason="phone: not a mobile number")
    reader = StoryReader(ledger, Restocks())

    story = reader.story("SO-00008")

    assert story is not None
    assert story.problems == ["SO-00008: invalid: phone: not a mobile number"]
    assert story.shipments == []
    assert reader.story("SO-99999") is None
    assert reader.story("  ") is None
