"""Restock and customer-return records in the shipment ledger table (the same table as ``DynamoLedger``).

Items (partition key ``pk`` only):
- ``RESTOCK#<awb>``: the steps of one shipment's restock (sales return, receive, credit note, ...)
  and a lease (``lock_owner`` / ``lock_until``) so two workers never run the same restock at once.
- ``RETURNS#<salesorder_id>``: customer returns booked for a sales order: ``count`` (the ``n`` of
  ``<SO>-RET<n>``) and ``requests`` (one map per request key, each step of its booking).
The ``AWB#`` and ``SO#`` items are ``DynamoLedger``'s; they are only read here, and ``put_awb``
creates a return's ``AWB#`` item through it.
"""

from __future__ import annotations

from typing import Any, Unpack

from shipsync.ledger.dynamo import DynamoLedger, _from_dynamo, _now, _to_dynamo
from shipsync.ledger.records import AwbRecord, RestockChanges, RestockRecord, RestockState

# A reservation races only with a concurrent request for the same order: a few rounds settle it.
MAX_RESERVE_ROUNDS = 5


class DynamoRestockLedger:
    """Implements ``returns.restock.RestockLedgerPort`` and ``returns.customer_return.ReturnsLedgerPort``."""

    def __init__(self, table_name: str, ledger: DynamoLedger | None = None) -> None:
        self._ledger = ledger or DynamoLedger(table_name)
        self._table = self._ledger.table

    # ------------------------------------------------------------------ shipment lookups
    def awb_item(self, awb: str) -> AwbRecord | None:
        return self._ledger.find_by_awb(awb)

    def find_salesorder_id(self, salesorder_number: str) -> str | None:
        return self._ledger.find_salesorder_id(salesorder_number)

    def shipment_awb(self, salesorder_id: str) -> str | None:
        entry = self._ledger.get(salesorder_id)
        return None if entry is None else entry.awb

    def put_awb(self, record: AwbRecord) -> bool:
        return self._ledger.put_awb(record)

    # ------------------------------------------------------------------ restock steps
    def begin(
        self, awb: str, *, owner: str, now: str, lease_until: str, kind: str, salesorder_id: str, salesorder_number: str
    ) -> RestockRecord | None:
        """Create-or-lease ``RESTOCK#<awb>`` (the identity fields are set only when the item is new); the record,
        or None while another worker's lease runs."""
        from botocore.exceptions import ClientError

        names = {"#o": "lock_owner", "#u": "lock_until", "#c": "created_at"}
        values: dict[str, Any] = {":o": owner, ":u": lease_until, ":now": now}
        sets = ["#o = :o", "#u = :u", "#c = if_not_exists(#c, :now)"]
        identity = {
            "awb": awb,
            "kind": kind,
            "salesorder_id": salesorder_id,
            "salesorder_number": salesorder_number,
            "state": RestockState.IN_PROGRESS.value,
        }
        for i, (name, value) in enumerate(identity.items()):
            names[f"#f{i}"] = name
            values[f":f{i}"] = _to_dynamo(value)
            sets.append(f"#f{i} = if_not_exists(#f{i}, :f{i})")
        try:
            answer = self._table.update_item(
                Key={"pk": f"RESTOCK#{awb}"},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="attribute_not_exists(pk) OR attribute_not_exists(#o) OR #u < :now OR #o = :o",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return None
        return RestockRecord.model_validate(_from_dynamo(answer["Attributes"]))

    def save(self, awb: str, **changes: Unpack[RestockChanges]) -> None:
        self._ledger.update_key(f"RESTOCK#{awb}", dict(changes))

    def restock(self, awb: str) -> RestockRecord | None:
        """``RESTOCK#<awb>`` as it stands (a consistent read), or None before its first attempt."""
        item = self._table.get_item(Key={"pk": f"RESTOCK#{awb}"}, ConsistentRead=True).get("Item")
        return None if item is None else RestockRecord.model_validate(_from_dynamo(item))

    def release(self, awb: str, owner: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self._table.update_item(
                Key={"pk": f"RESTOCK#{awb}"},
                UpdateExpression="REMOVE lock_owner, lock_until",
                ConditionExpression="lock_owner = :o",
                ExpressionAttributeValues={":o": owner},
            )
        except ClientError as err:
            # Our lease ran out and someone else holds it now: theirs to release.
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    # ------------------------------------------------------------------ customer returns
    def returns(self, salesorder_id: str) -> dict[str, Any]:
        """Every booked return request of the order (request key -> its record)."""
        item = self._table.get_item(Key={"pk": f"RETURNS#{salesorder_id}"}, ConsistentRead=True).get("Item")
        return {} if item is None else dict(_from_dynamo(item.get("requests", {})))

    def reserve_return(self, salesorder_id: str, request_key: str, **fields: Any) -> dict[str, Any]:
        """The request's record; a new request gets the next return number ``n`` (atomically)."""
        from botocore.exceptions import ClientError

        pk = f"RETURNS#{salesorder_id}"
        for _ in range(MAX_RESERVE_ROUNDS):
            item = self._table.get_item(Key={"pk": pk}, ConsistentRead=True).get("Item")
            requests = {} if item is None else dict(_from_dynamo(item.get("requests", {})))
            if request_key in requests:
                return dict(requests[request_key])
            count = 0 if item is None else int(item.get("count", 0))
            record = {**fields, "n": count + 1, "created_at": _now()}
            try:
                if item is None:
                    self._table.put_item(
                        Item={"pk": pk, "count": count + 1, "requests": _to_dynamo({request_key: record})},
                        ConditionExpression="attribute_not_exists(pk)",
                    )
                else:
                    self._table.update_item(
                        Key={"pk": pk},
                        UpdateExpression="SET #c = :new, #r.#k = :rec",
                        ConditionExpression="#c = :old AND attribute_not_exists(#r.#k)",
                        ExpressionAttributeNames={"#c": "count", "#r": "requests", "#k": request_key},
                        ExpressionAttributeValues={":new": count + 1, ":old": count, ":rec": _to_dynamo(record)},
                    )
                return record
            except ClientError as err:
                if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
        raise RuntimeError(f"could not reserve a return number for sales order {salesorder_id}")

    def save_return(self, salesorder_id: str, request_key: str, **fields: Any) -> None:
        names = {"#r": "requests", "#k": request_key}
        values: dict[str, Any] = {}
        sets = []
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"] = name
            values[f":f{i}"] = _to_dynamo(value)
            sets.append(f"#r.#k.#f{i} = :f{i}")
        self._table.update_item(
            Key={"pk": f"RETURNS#{salesorder_id}"},
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
