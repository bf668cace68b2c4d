"""What only the DynamoDB ledger has to get right (its writes can be cut in two), over moto with the key schema
of template.yaml; what both ledgers share is in test_ledger_contract.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from shipsync.ledger.dynamo import DynamoLedger

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
