"""The morning digest (ops.digest): yesterday in one message, each line from the ledger's records."""

from __future__ import annotations

from datetime import UTC, date, datetime

from shipsync.ledger.records import AwbRecord, JobState, OrderRecord, RemittanceHeader
from shipsync.ops.digest import DigestFacts, DigestReader, compose, day_bounds
from tests.unit.memory_ledger import MemoryLedger

NOW = datetime(2025, 6, 12, 3, 0, tzinfo=UTC)  # 08:30 IST
DAY = date(2025, 6, 11)


def order(number: int, state: JobState, reason: str | None = None) -> OrderRecord:
    return OrderRecord(
        salesorder_id=f"ID-{number}", salesorder_number=f"SO-{number:05d}", state=state, failure_reason=reason
    )


def remittance(utr: str, paid: int, expected: int) -> RemittanceHeader:
    return RemittanceHeader(
        remittance_id=utr,
        remittance_date="2025-06-11",
        source="webhook",
        bank_transfer_paise=paid,
        expected_paise=expected,
        balanced=paid == expected,
        balance_known=True,
        awbs=[],
        received_at="2025-06-11T06:00:00+00:00",
    )


def test_yesterday_in_one_message_readable_on_a_phone() -> None:
    facts = DigestFacts(
        day=DAY,
        jobs=[
            order(1, JobState.SYNCED),
            order(2, JobState.SYNCED),
            order(3, JobState.INVALID, "phone: not a mobile number"),
            order(4, JobState.INVALID, "phone: too short"),
            order(5, JobState.NOT_SERVICEABLE, "pincode 744301: no courier"),
        ],
        open_shipments=[
            AwbRecord(
                awb="A1",
                salesorder_id="ID-1",
                salesorder_number="SO-00001",
                status="Undelivered (NDR)",
                status_time="2025-06-11T07:00:00+00:00",
                ndr_count=2,
            ),
            AwbRecord(awb="A2", salesorder_id="ID-2", status="RTO In Transit", courier_name="Ekart Logistics"),
            AwbRecord(awb="A6", salesorder_id="ID-6", status="In Transit"),
        ],
        unremitted=[
            AwbRecord(awb="A7", salesorder_id="ID-7", order_value=1000.5, delivered_at="2025-06-09T03:00:00+00:00"),
            AwbRecord(awb="A8", salesorder_id="ID-8", order_value=500.0, delivered_at="2025-06-01T03:00:00+00:00"),
        ],
        remittances=[remittance("UTR-A", 10_000, 10_000), remittance("UTR-C", 9_900, 10_000)],
        dlq_depths={"OrderDLQ": 2, "StatusDLQ": 0},
        zoho_calls_left=412,
    )

    subject, message = compose(facts, NOW)

    assert subject == "shipsync 11 Jun: 2 shipped, 3 failed"
    assert message.splitlines() == [
        "Yesterday (Wed 11 Jun, IST): 5 confirmed, 2 shipped, 3 failed",
        "  2 x invalid order: phone",
        "  1 x not serviceable: pincode 744301",
        "NDR waiting for an action: 1",
        "  SO-00001 AWB A1, 2 attempt(s), waiting 20 h",
        "RTO on the way back: 1 (Ekart Logistics 1)",
        "COD delivered, not remitted: 2 (₹1,500.50): 0-7 d 1, 8-14 d 1",
        "Remittances yesterday: 2, not balanced: 1",
        "  UTR-C: ₹99.00 paid of ₹100.00",
        "DLQs: OrderDLQ 2",
        "Zoho calls left today: 412",
    ]
    assert max(len(line) for line in message.splitlines()) <= 70


def test_a_quiet_day_says_so_and_the_reader_asks_for_the_ist_day() -> None:
    ledger = MemoryLedger()
    asked: list[int] = []
    reader = DigestReader(ledger, lambda: {"OrderDLQ": 0}, lambda: asked.append(1) or None)

    subject, message = compose(reader.facts(DAY, NOW), NOW)

    assert day_bounds(DAY) == ("2025-06-10T18:30:00+00:00", "2025-06-11T18:30:00+00:00")
    assert subject == "shipsync 11 Jun: 0 shipped, 0 failed"
    assert "DLQs: all empty" in message
    assert "Zoho calls left today: not known yet today" in message
    assert asked == [1]
