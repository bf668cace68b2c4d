"""The DynamoDB shipment ledger over moto, with the key schema of template.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from shipsync.adapters.ledger import DynamoLedger

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def ledger_table_properties() -> dict[str, object]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load(TEMPLATE.read_text(), Loader=Loader)  # noqa: S506 - SafeLoader subclass
    properties = dict(template["Resources"]["LedgerTable"]["Properties"])
    return {k: properties[k] for k in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")}


@pytest.fixture
def ledger(aws_env: None) -> DynamoLedger:
    boto3.client("dynamodb").create_table(TableName="ledger", **ledger_table_properties())
    return DynamoLedger("ledger")


def test_ensure_creates_once_and_returns_the_existing_entry(ledger: DynamoLedger) -> None:
    first = ledger.ensure("101", "SO-00101")
    ledger.update("101", sr_order_id=612345678, shipment_id=609876543, refusals=[{"courier_id": 43, "reason": "x"}])
    again = ledger.ensure("101", "SO-00101")

    assert first.order_ref == "SO-00101"
    assert again.sr_order_id == 612345678
    assert again.refusals == [{"courier_id": 43, "reason": "x"}]
    assert again.confirmed_at == first.confirmed_at


def test_awb_lookup_is_one_get_item_with_what_tracking_needs(ledger: DynamoLedger) -> None:
    entry = ledger.ensure("102", "SO-00102")
    ledger.update("102", sr_order_id=1, shipment_id=2)
    entry.sr_order_id, entry.shipment_id = 1, 2
    ledger.record_awb(entry, awb="1411220456789", courier_id=43, courier_name="Delhivery Surface")

    found = ledger.find_by_awb("1411220456789")
    assert found is not None
    assert (found["salesorder_id"], found["salesorder_number"], found["shipment_id"]) == ("102", "SO-00102", 2)
    stored = ledger.get("102")
    assert stored is not None
    assert (stored.awb, stored.courier_id, stored.state) == ("1411220456789", 43, "awb_assigned")
    assert ledger.find_by_awb("0000") is None


def test_open_jobs_lists_unfinished_orders_until_they_are_closed(ledger: DynamoLedger) -> None:
    ledger.ensure("103", "SO-00103")
    ledger.ensure("104", "SO-00104")
    entry = ledger.ensure("105", "SO-00105")
    ledger.record_awb(entry, awb="AWB105", courier_id=43, courier_name="Delhivery Surface")  # AWB, Zoho not yet
    ledger.close_job("104", state="synced")

    open_numbers = {e.salesorder_number for e in ledger.open_jobs("9999-12-31T00:00:00")}
    assert open_numbers == {"SO-00103", "SO-00105"}
    assert ledger.open_jobs("2000-01-01T00:00:00") == []


def test_quiet_shipments_lists_tracked_awbs_until_tracking_closes(ledger: DynamoLedger) -> None:
    entry = ledger.ensure("106", "SO-00106")
    ledger.record_awb(entry, awb="AWB106", courier_id=43, courier_name="Delhivery Surface")
    assert ledger.put_awb("RET106", is_return=True, salesorder_id="106") is True
    assert ledger.put_awb("RET106", is_return=True, salesorder_id="106") is False  # idempotent
    assert ledger.find_salesorder_id("SO-00106") == "106"

    assert {s["awb"] for s in ledger.quiet_shipments("9999-12-31T00:00:00")} == {"AWB106", "RET106"}
    ledger.update_awb("AWB106", status="Delivered")
    ledger.close_tracking("AWB106")
    assert {s["awb"] for s in ledger.quiet_shipments("9999-12-31T00:00:00")} == {"RET106"}
    assert ledger.quiet_shipments("2000-01-01T00:00:00") == []


def test_a_lost_number_lookup_write_is_repaired_by_the_retry(
    ledger: DynamoLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = ledger.table
    put_item = table.put_item

    def number_write_lost(**kwargs: Any) -> Any:
        if kwargs["Item"]["pk"].startswith("SONUM#"):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "lost"}}, "PutItem")
        return put_item(**kwargs)

    monkeypatch.setattr(table, "put_item", number_write_lost)
    with pytest.raises(ClientError):
        ledger.ensure("107", "SO-00107")
    monkeypatch.setattr(table, "put_item", put_item)
    assert ledger.get("107") is not None
    assert ledger.find_salesorder_id("SO-00107") is None

    again = ledger.ensure("107", "SO-00107")

    assert ledger.find_salesorder_id("SO-00107") == "107"
    number_item = table.get_item(Key={"pk": "SONUM#SO-00107"})["Item"]
    assert number_item["created_at"] == again.confirmed_at  # the same mapping the first attempt meant to write
