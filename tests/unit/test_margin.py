"""The margin of every order (freight.margin, freight.shipments): each wallet row attributed to its shipment or
listed, the totals per courier, tier and payment method, and the report adding up to the wallet to the paisa."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from shipsync.freight.margin import Outcome, ShipmentFacts, margin_report, to_csv
from shipsync.freight.shipments import LedgerShipments
from shipsync.freight.statement import WalletRow, read_row
from shipsync.ledger.records import AwbRecord, JobState
from shipsync.orders.courier import CourierRules
from tests.unit.memory_ledger import MemoryLedger
from tests.unit.test_wallet_statement import row

_next_transaction = iter(range(8_000_001, 9_000_000))


def debit(awb: str, charge: str, amount: str, order: str = "") -> WalletRow:
    return read_row(
        row(
            transaction_id=str(next(_next_transaction)),
            awb_code=awb,
            channel_order_id=order,
            charge=charge,
            debit_amount=amount,
        )
    )


def credit(awb: str, charge: str, amount: str) -> WalletRow:
    return read_row(
        row(
            transaction_id=str(next(_next_transaction)),
            awb_code=awb,
            charge=charge,
            debit_amount="",
            credit_amount=amount,
        )
    )


def facts(awb: str, number: str, **fields: Any) -> ShipmentFacts:
    defaults: dict[str, Any] = {
        "courier": "Delhivery Surface",
        "tier": "tier-1",
        "payment_method": "COD",
        "invoice_paise": 100_000,
        "outcome": Outcome.DELIVERED,
    }
    return ShipmentFacts(awb=awb, salesorder_number=number, **{**defaults, **fields})


def report_of(rows: list[WalletRow], known: dict[str, ShipmentFacts]) -> Any:
    return margin_report(rows, lambda wallet_row: known.get(wallet_row.awb or ""))


def test_an_order_s_net_is_its_invoice_less_every_cost_of_shipping_it() -> None:
    rows = [
        debit("A1", "Freight Charges", "80.00"),
        debit("A1", "COD Charges", "35.50"),
        debit("A1", "Weight Discrepancy Charges", "40.00"),
    ]
    report = report_of(rows, {"A1": facts("A1", "SO-1", cod_deductions_paise=1_000)})

    [order] = report.orders
    money = order.money
    assert (money.freight, money.cod_fee, money.weight_adjustments) == (8_000, 3_550, 4_000)
    assert money.shipping_cost == 15_550
    assert money.cod_collected == 100_000
    assert money.net == 100_000 - 15_550 - 1_000
    assert report.reconciliation.balanced
    assert report.reconciliation.wallet_movement == 15_550


def test_an_rto_earns_nothing_and_its_whole_cost_is_the_courier_s_rto_cost() -> None:
    rows = [
        debit("A1", "Freight Charges", "80.00"),
        debit("A1", "RTO Freight Charges", "80.00"),
        debit("B1", "Freight Charges", "60.00"),
        debit("C1", "Freight Charges", "70.00"),
    ]
    known = {
        "A1": facts("A1", "SO-1", outcome=Outcome.RTO),
        "B1": facts("B1", "SO-2"),
        "C1": facts("C1", "SO-3", courier="Ekart Logistics", payment_method="Prepaid", tier="tier-2/3"),
    }
    report = report_of(rows, known)

    rto_order = report.orders[0]
    assert (rto_order.money.earned, rto_order.money.cod_collected, rto_order.money.net) == (0, 0, -16_000)
    delhivery = report.by_courier["Delhivery Surface"]
    assert (delhivery.shipments, delhivery.rtos, delhivery.rto_cost) == (2, 1, 16_000)
    assert report.courier_history() == {
        "Delhivery Surface": {"shipments": 2, "rto_rate": 0.5, "rto_cost": 160.0},
        "Ekart Logistics": {"shipments": 1, "rto_rate": 0.0, "rto_cost": 0.0},
    }
    assert set(report.by_tier) == {"tier-1", "tier-2/3"}
    assert report.by_payment["Prepaid"].money.net == 100_000 - 7_000
    assert report.by_payment["COD"].money.shipping_cost == 22_000
    assert report.total.shipping_cost == sum(t.money.shipping_cost for t in report.by_courier.values())


def test_a_cancelled_awb_s_reversal_nets_its_freight_and_a_reship_counts_the_value_once() -> None:
    rows = [
        debit("OLD", "Freight Charges", "80.00"),
        credit("OLD", "Freight Reversal", "80.00"),
        debit("NEW", "Freight Charges", "95.00"),
    ]
    known = {
        "OLD": facts("OLD", "SO-1", outcome=Outcome.CANCELLED),
        "NEW": facts("NEW", "SO-1", courier="Xpressbees"),
    }
    [order] = report_of(rows, known).orders

    assert order.awbs == ["NEW", "OLD"]
    assert (order.money.reversals, order.money.shipping_cost) == (-8_000, 9_500)
    assert (order.money.invoice, order.money.earned) == (100_000, 100_000)


def test_rows_of_no_known_shipment_are_listed_and_recharges_counted_apart_so_the_total_still_balances() -> None:
    rows = [
        debit("A1", "Freight Charges", "80.00"),
        debit("ZZ", "Freight Charges", "12.34"),
        read_row(
            row(transaction_id="9990001", awb_code="", charge="Wallet Recharge", debit_amount="", credit_amount="500")
        ),
        read_row(row(transaction_id="9990002", awb_code="", charge="Platform fee", debit_amount="1.01")),
    ]
    report = report_of(rows, {"A1": facts("A1", "SO-1")})

    assert [r.transaction_id for r in report.unattributed] == [rows[1].transaction_id, "9990002"]
    reconciliation = report.reconciliation
    assert (reconciliation.attributed, reconciliation.unattributed, reconciliation.recharges) == (8_000, 1_335, 50_000)
    assert reconciliation.wallet_movement == 9_335
    assert reconciliation.balanced


def test_the_csv_has_one_row_per_order_in_rupees() -> None:
    rows = [debit("A1", "Freight Charges", "80.00"), debit("A2", "Freight Charges", "75.25")]
    known = {"A1": facts("A1", "SO-1", parcel=1), "A2": facts("A2", "SO-1", parcel=2, courier="Ekart")}
    text = to_csv(report_of(rows, known))

    [header, line] = list(csv.reader(io.StringIO(text)))
    record = dict(zip(header, line, strict=True))
    assert record["awbs"] == "A1|A2"
    assert record["couriers"] == "Delhivery Surface|Ekart"
    assert (record["freight"], record["invoice"], record["net"]) == ("155.25", "2000.00", "1844.75")


def test_the_ledger_names_each_row_s_shipment_its_outcome_and_its_destination_tier() -> None:
    ledger = MemoryLedger()
    order = ledger.ensure("SO-ID-1", "SO-00001")
    ledger.update(
        "SO-ID-1",
        awb="NEW",
        courier_name="Delhivery Surface",
        payment_method="COD",
        order_value=1499.5,
        delivery_city="Mumbai",
    )
    ledger.put_awb(
        AwbRecord(
            awb="NEW",
            salesorder_id=order.salesorder_id,
            salesorder_number="SO-00001",
            courier_name="Delhivery Surface",
            payment_method="COD",
            order_value=1499.5,
            delivery_city="Mumbai",
            status="RTO Delivered",
        )
    )
    ledger.put_awb(
        AwbRecord(awb="OLD", salesorder_id=order.salesorder_id, salesorder_number="SO-00001", status="Pickup Scheduled")
    )
    shipments = LedgerShipments(ledger)

    new = shipments(debit("NEW", "Freight Charges", "80.00"))
    assert new is not None
    assert (new.outcome, new.tier, new.invoice_paise) == (Outcome.RTO, "tier-1", 149_950)
    old = shipments(debit("OLD", "Freight Charges", "80.00"))
    assert old is not None
    assert old.outcome is Outcome.CANCELLED
    by_reference = shipments(debit("GONE", "Freight Charges", "80.00", order="SO-00001-R1"))
    assert by_reference is not None
    assert (by_reference.salesorder_number, by_reference.outcome) == (
        "SO-00001",
        Outcome.CANCELLED,
    )
    assert shipments(debit("NOPE", "Freight Charges", "1.00", order="SO-99999")) is None


def test_a_cancelled_job_s_awb_is_a_cancelled_shipment() -> None:
    ledger = MemoryLedger()
    ledger.ensure("SO-ID-2", "SO-00002")
    ledger.update("SO-ID-2", awb="A9", state=JobState.CANCELLED)
    ledger.put_awb(
        AwbRecord(awb="A9", salesorder_id="SO-ID-2", salesorder_number="SO-00002", status="Pickup Scheduled")
    )

    found = LedgerShipments(ledger)(debit("A9", "Freight Charges", "80.00"))
    assert found is not None
    assert found.outcome is Outcome.CANCELLED


def test_the_courier_record_is_what_the_courier_rules_read_as_history() -> None:
    rows = [debit(f"A{n}", "Freight Charges", "80.00") for n in range(25)]
    rows += [debit("A0", "RTO Freight Charges", "80.00"), debit("U1", "Freight Charges", "80.00")]
    known = {
        f"A{n}": facts(f"A{n}", f"SO-{n}", outcome=Outcome.RTO if n == 0 else Outcome.DELIVERED) for n in range(25)
    }
    known["U1"] = facts("U1", "SO-99", courier="unknown")
    history = report_of(rows, known).courier_history()

    assert history == {"Delhivery Surface": {"shipments": 25, "rto_rate": 0.04, "rto_cost": 160.0}}
    rules = CourierRules.from_json(json.dumps({"history": history}))
    assert rules.history_for("Delhivery Surface") is not None


def test_a_customer_return_s_shipment_costs_its_order_and_never_replaces_its_value() -> None:
    rows = [debit("0RET", "Freight Charges", "52.00"), debit("FWD", "Freight Charges", "80.00")]
    known = {
        "0RET": facts("0RET", "SO-1", outcome=Outcome.RETURN, invoice_paise=0),
        "FWD": facts("FWD", "SO-1"),
    }
    report = report_of(rows, known)

    [order] = report.orders
    assert (order.money.invoice, order.money.shipping_cost, sorted(order.outcomes)) == (
        100_000,
        13_200,
        ["delivered", "return"],
    )
    assert report.by_courier["Delhivery Surface"].shipments == 1
