"""The shipment ledger: one DynamoDB table that maps a sales order to its Shiprocket order,
shipment, AWB and status, and records every step of the order-confirmed job.

Items (partition key ``pk`` only), typed in ``ledger.records``:
- ``SO#<salesorder_id>``: the whole job state (``OrderRecord``); ``SO#<salesorder_id>#<parcel_ref>``: a parcel's.
  Every ``salesorder_id`` argument below is such a job id (``OrderRecord.job_id``).
- ``AWB#<awb>``: a denormalised copy of what a tracking event needs (``AwbRecord``), so an AWB lookup
  is one GetItem and never a Zoho search.
- ``SONUM#<salesorder_number>``: number -> id; ``REMIT#<remittance_id>``: ``RemittanceHeader``.
Orders whose job has not finished (no AWB yet, or not yet written back to Zoho) carry
``open_job = "1"`` (sparse GSI ``OpenJobs``, sort key ``confirmed_at``), so the stuck-order
sweep is one Query.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Unpack

from pydantic import BaseModel

from shipsync.adapters.aws import client
from shipsync.ledger.records import (
    WALLET_CLAIM_SETTLE_S,
    AwbChanges,
    AwbRecord,
    JobState,
    OrderChanges,
    OrderRecord,
    ReconcilePass,
    RemittanceHeader,
    WalletClaim,
)

OPEN_JOBS_INDEX = "OpenJobs"
# Sparse GSI over AWB# items still being tracked (tracking_open = "1"), sorted by the time of
# their last tracking event, so the tracking poll finds the quiet ones with one Query.
QUIET_SHIPMENTS_INDEX = "QuietShipments"
# Sparse GSI over delivered COD shipments not yet remitted (cod_open = "1"), by delivery time:
# the remittance poll and the aging report read it with one Query.
UNREMITTED_COD_INDEX = "UnremittedCod"
# Sparse GSI over remitted COD shipments waiting for their delivery (remit_waiting = "1"), by the time they are
# next asked about: the remittance poll sends the due ones back to the queue with one Query.
AWAITING_DELIVERY_INDEX = "AwaitingDelivery"


# The steps a reopened job forgets (``reopen_job``): it ships again from the start.
REOPENED_FIELDS = (
    "parcels",
    "sr_order_id",
    "shipment_id",
    "courier_ranking",
    "pickup_postcode",
    "refusals",
    "awb",
    "courier_id",
    "courier_name",
    "pickup_requested",
    "pickup_scheduled_date",
    "pickup_token_number",
    "pickup_status",
    "label_generated",
    "label_url",
    "zoho_fields_written",
    "zoho_package_id",
    "zoho_shipment_id",
    "shipment_status",
    "failure_reason",
    "shipping_claimed",
    "shipped_snapshot",
    "cancel_seen_at",
    "sr_awb_cancel_sent",
    "sr_order_cancel_sent",
    "sr_cancelled_at",
    "ndr_return_requested",
    "zoho_shipment_deleted",
    "zoho_package_deleted",
    "zoho_cancel_written",
    "cancelled_at",
    "cancel_outcome",
    "alerted_stuck",
    "redrive_count",
)


# Long past any dispute window or a day's low-balance page.
MARK_DAYS = 90


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _to_dynamo(value.model_dump(mode="json"))
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


class DynamoLedger:
    """Ledger over DynamoDB (resource API for readable item maps)."""

    def __init__(self, table_name: str) -> None:
        import boto3

        # The resource API converts to/from DynamoDB JSON; endpoint comes from AWS_ENDPOINT_URL.
        self._table = boto3.resource("dynamodb").Table(table_name)
        self._table_name = table_name

    @property
    def table(self) -> Any:
        """The boto3 Table, for adapters that keep other item kinds in the same table."""
        return self._table

    # -- reads ----------------------------------------------------------------------------
    def get(self, salesorder_id: str) -> OrderRecord | None:
        item = self._table.get_item(Key={"pk": f"SO#{salesorder_id}"}, ConsistentRead=True).get("Item")
        return None if item is None else OrderRecord.model_validate(_from_dynamo(item))

    def find_by_awb(self, awb: str) -> AwbRecord | None:
        item = self._table.get_item(Key={"pk": f"AWB#{awb}"}).get("Item")
        return None if item is None else AwbRecord.model_validate(_from_dynamo(item))

    def find_salesorder_id(self, salesorder_number: str) -> str | None:
        """The sales order id for a number this ledger has seen (no Zoho search needed)."""
        item = self._table.get_item(Key={"pk": f"SONUM#{salesorder_number}"}).get("Item")
        return None if item is None else str(item["salesorder_id"])

    def put_awb(self, record: AwbRecord) -> bool:
        """Create an ``AWB#`` lookup item (e.g. a customer return's AWB), tracked from now; False if it exists."""
        return self._put_new(
            {"pk": f"AWB#{record.awb}", **record.tracked_from(_now()).model_dump(exclude_defaults=True)}
        )

    def update_awb(self, awb: str, **changes: Unpack[AwbChanges]) -> None:
        """Set fields on an ``AWB#`` item (tracking status, last event time, transitions)."""
        self.update_key(f"AWB#{awb}", dict(changes))

    def record_remittance(self, header: RemittanceHeader) -> None:
        """The header of a remittance batch (``REMIT#<id>``): totals, balance, AWBs, source."""
        self.update_key(f"REMIT#{header.remittance_id}", header.model_dump(exclude={"remittance_id"}))

    def mark_remitted(self, awb: str, **changes: Unpack[AwbChanges]) -> None:
        """Record the payment and leave the remittance poll's index, in one write."""
        self.update_key(f"AWB#{awb}", dict(changes), remove=("cod_open",))

    def unremitted_cod(self, limit: int = 500) -> list[AwbRecord]:
        """Delivered COD shipments with no remittance recorded yet, oldest delivery first."""
        from boto3.dynamodb.conditions import Key

        response = self._table.query(
            IndexName=UNREMITTED_COD_INDEX, KeyConditionExpression=Key("cod_open").eq("1"), Limit=limit
        )
        return [AwbRecord.model_validate(_from_dynamo(i)) for i in response.get("Items", [])]

    def park_remittance(self, awb: str, *, next_check: str, pending: dict[str, Any]) -> None:
        """A remittance line that waits for its shipment's delivery (UTC ISO ``next_check``)."""
        self.update_awb(awb, remit_waiting="1", remit_next_check=next_check, remit_pending=pending)

    def waiting_remittances(self, due_before: str, limit: int = 500) -> list[AwbRecord]:
        """Shipments whose waiting remittance line is due to be asked about again, oldest first."""
        from boto3.dynamodb.conditions import Key

        response = self._table.query(
            IndexName=AWAITING_DELIVERY_INDEX,
            KeyConditionExpression=Key("remit_waiting").eq("1") & Key("remit_next_check").lte(due_before),
            Limit=limit,
        )
        return [AwbRecord.model_validate(_from_dynamo(i)) for i in response.get("Items", [])]

    def close_waiting(self, awb: str) -> None:
        """The line was paid or given up: the shipment leaves the waiting index (its last state stays)."""
        self._table.update_item(Key={"pk": f"AWB#{awb}"}, UpdateExpression="REMOVE remit_waiting, remit_next_check")

    def close_tracking(self, awb: str) -> None:
        """A terminal status: the shipment leaves the tracking poll's index."""
        self._table.update_item(Key={"pk": f"AWB#{awb}"}, UpdateExpression="REMOVE tracking_open")

    def quiet_shipments(self, last_event_before: str, limit: int = 200) -> list[AwbRecord]:
        """AWB items still tracked whose last event is older than the given ISO time."""
        from boto3.dynamodb.conditions import Key

        response = self._table.query(
            IndexName=QUIET_SHIPMENTS_INDEX,
            KeyConditionExpression=Key("tracking_open").eq("1") & Key("last_event_at").lt(last_event_before),
            Limit=limit,
        )
        return [AwbRecord.model_validate(_from_dynamo(i)) for i in response.get("Items", [])]

    def shipments_since(self, created_after: str, limit: int = 2000) -> list[AwbRecord]:
        """Every AWB item written at or after the ISO time, oldest first (``ops.reconcile``: an ops command and a
        nightly job, so a filtered scan of the table is its price)."""
        from boto3.dynamodb.conditions import Attr

        items = self._scan(Attr("pk").begins_with("AWB#") & Attr("created_at").gte(created_after), limit)
        found = [AwbRecord.model_validate(item) for item in items]
        return sorted(found, key=lambda record: record.created_at or "")[:limit]

    def jobs_confirmed_between(self, start: str, end: str, limit: int = 5000) -> list[OrderRecord]:
        """The sales orders' own jobs (not their parcels') confirmed from ``start`` to before ``end`` (ISO times):
        the morning digest's day (``ops.digest``), a scan once a day."""
        from boto3.dynamodb.conditions import Attr

        condition = Attr("pk").begins_with("SO#") & Attr("parcel_ref").not_exists() & Attr("confirmed_at").gte(start)
        items = self._scan(condition & Attr("confirmed_at").lt(end), limit)
        return [OrderRecord.model_validate(item) for item in items]

    def remittances_received_between(self, start: str, end: str, limit: int = 500) -> list[RemittanceHeader]:
        from boto3.dynamodb.conditions import Attr

        condition = Attr("pk").begins_with("REMIT#") & Attr("received_at").gte(start) & Attr("received_at").lt(end)
        return [
            RemittanceHeader.model_validate({**item, "remittance_id": str(item["pk"]).removeprefix("REMIT#")})
            for item in self._scan(condition, limit)
        ]

    def _scan(self, condition: Any, limit: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"FilterExpression": condition}
        while len(found) < limit:
            page = self._table.scan(**kwargs)
            found += [_from_dynamo(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found[:limit]

    def open_jobs(self, confirmed_before: str, limit: int = 100) -> list[OrderRecord]:
        from boto3.dynamodb.conditions import Key

        response = self._table.query(
            IndexName=OPEN_JOBS_INDEX,
            KeyConditionExpression=Key("open_job").eq("1") & Key("confirmed_at").lt(confirmed_before),
            Limit=limit,
        )
        return [OrderRecord.model_validate(_from_dynamo(i)) for i in response.get("Items", [])]

    # -- writes ---------------------------------------------------------------------------
    def ensure(self, salesorder_id: str, salesorder_number: str) -> OrderRecord:
        """The entry for this order, created on first sight (a conditional put: no races)."""
        now = _now()
        entry = OrderRecord(
            salesorder_id=salesorder_id,
            salesorder_number=salesorder_number,
            order_ref=salesorder_number,
            confirmed_at=now,
            updated_at=now,
        )
        if not self._put_new({"pk": f"SO#{salesorder_id}", "open_job": "1", **entry.model_dump(exclude_none=True)}):
            existing = self.get(salesorder_id)
            assert existing is not None  # the conditional put just saw it
            # Written again on every retry: the first attempt may have died between the two puts.
            self._put_number(existing.salesorder_number, salesorder_id, existing.confirmed_at)
            return existing
        self._put_number(salesorder_number, salesorder_id, now)
        return entry

    def ensure_parcel(self, order: OrderRecord, *, parcel: int, order_ref: str, lines: dict[str, float]) -> OrderRecord:
        """Parcel ``parcel`` of ``order``'s job, created on first sight. It stays out of the stuck-order index (the
        order's own job is there until every parcel is shipped); its reference maps to it like an order number, so
        a remittance line naming ``SO-…-<n>`` finds it."""
        entry = OrderRecord.parcel_of(order, parcel=parcel, order_ref=order_ref, lines=lines, now=_now())
        if not self._put_new({"pk": f"SO#{entry.job_id}", **entry.model_dump(exclude_none=True)}):
            existing = self.get(entry.job_id)
            assert existing is not None  # the conditional put just saw it
            entry = existing
        self._put_number(order_ref, entry.job_id, entry.confirmed_at)
        return entry

    def _put_new(self, item: dict[str, Any]) -> bool:
        """Put ``item`` unless its key exists (no races): False when it did."""
        from botocore.exceptions import ClientError

        try:
            self._table.put_item(Item=_to_dynamo(item), ConditionExpression="attribute_not_exists(pk)")
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def mark_once(self, key: str) -> bool:
        """A marker ``MARK#<key>``, written once: True for the call that wrote it (a page sent once, whatever
        the retries). Markers expire after ``MARK_DAYS`` through the table's TTL."""
        expires = int(time.time()) + MARK_DAYS * 86400
        return self._put_new({"pk": f"MARK#{key}", "created_at": _now(), "ttl": expires})

    def claim_wallet_row(self, transaction_id: str, *, settle_s: float = WALLET_CLAIM_SETTLE_S) -> WalletClaim:
        """``WALLET#<transaction id>``: "new" for the call that claims a statement row for booking, else "booked"
        (done), "busy" (claimed less than ``settle_s`` ago: the upload and the schedule at once; the claimant may
        be writing now) or "in_flight" (an earlier attempt stopped between its claim and its booking: Zoho must be
        asked)."""
        key = f"WALLET#{transaction_id}"
        if self._put_new({"pk": key, "state": "in_flight", "created_at": _now()}):
            return "new"
        item = self._table.get_item(Key={"pk": key}, ConsistentRead=True).get("Item")
        if item is not None and item.get("state") == "booked":
            return "booked"
        claimed = datetime.fromisoformat(str((item or {}).get("created_at") or "1970-01-01T00:00:00+00:00"))
        return "busy" if (datetime.now(UTC) - claimed).total_seconds() < settle_s else "in_flight"

    def mark_wallet_row_booked(self, transaction_id: str, entry_id: str) -> None:
        self.update_key(f"WALLET#{transaction_id}", {"state": "booked", "entry_id": entry_id})

    def parcel_contents(self, sr_order_id: int, read: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """``CONTENTS#<Shiprocket order id>``: what the parcel holds, ``read`` the first time it is asked for and
        kept (a shipped order's contents do not change), so the freight advice reads an order at Shiprocket
        once. Expires with the markers (``MARK_DAYS``), long after the wallet watch's window."""
        key = f"CONTENTS#{int(sr_order_id)}"
        item = self._table.get_item(Key={"pk": key}).get("Item")
        if item is not None:
            kept: list[dict[str, Any]] = _from_dynamo(item["items"])
            return kept
        items = read()
        expires = int(time.time()) + MARK_DAYS * 86400
        self._table.put_item(Item={"pk": key, "items": _to_dynamo(items), "created_at": _now(), "ttl": expires})
        return items

    def reconcile_pass(self, night: str) -> ReconcilePass | None:
        item = self._table.get_item(Key={"pk": f"RECONCILE#{night}"}, ConsistentRead=True).get("Item")
        return ReconcilePass.model_validate(_from_dynamo(item)) if item is not None else None

    def save_reconcile_pass(self, night_pass: ReconcilePass) -> None:
        """The whole pass, replaced: one scheduled run at a time writes it (the runs are 15 minutes apart and each
        stops well inside its function's timeout). Expires with the markers."""
        expires = int(time.time()) + MARK_DAYS * 86400
        item = {"pk": f"RECONCILE#{night_pass.night}", **night_pass.model_dump(), "updated_at": _now(), "ttl": expires}
        self._table.put_item(Item=_to_dynamo({key: value for key, value in item.items() if value is not None}))

    def _put_number(self, salesorder_number: str, salesorder_id: str, created_at: str) -> None:
        """``SONUM#``: salesorder number -> id (a plain put, so repeating it changes nothing)."""
        self._table.put_item(
            Item={"pk": f"SONUM#{salesorder_number}", "salesorder_id": salesorder_id, "created_at": created_at}
        )

    def update(self, salesorder_id: str, **changes: Unpack[OrderChanges]) -> None:
        self.update_key(f"SO#{salesorder_id}", dict(changes))

    def update_key(self, pk: str, fields: dict[str, Any], *, remove: Iterable[str] = ()) -> None:
        """SET ``fields`` (and ``updated_at``) on the item ``pk``, creating it if absent, and REMOVE the
        attributes named in ``remove``: one write."""
        fields["updated_at"] = _now()
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":v{i}": _to_dynamo(value) for i, value in enumerate(fields.values())}
        expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields)))
        removed = list(remove)
        if removed:
            names |= {f"#r{i}": name for i, name in enumerate(removed)}
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed)))
        self._table.update_item(
            Key={"pk": pk},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def close_job(self, salesorder_id: str, **changes: Unpack[OrderChanges]) -> None:
        """Record a final state (synced or failed) and leave the stuck-order index, in one write."""
        self.update_key(f"SO#{salesorder_id}", dict(changes), remove=("open_job",))

    def claim_for_shipping(self, salesorder_id: str) -> bool:
        """Mark the job as about to write to Shiprocket, unless a cancellation closed it first: False then.
        With ``cancel_unclaimed`` this settles a confirmation racing a cancel: exactly one of them wins."""
        return self._conditional(
            salesorder_id,
            "SET shipping_claimed = :yes, updated_at = :now",
            "attribute_exists(pk) AND (attribute_not_exists(#state) OR #state <> :cancelled)",
            {":yes": True, ":cancelled": JobState.CANCELLED.value},
        )

    def cancel_unclaimed(self, salesorder_id: str, **changes: Unpack[OrderChanges]) -> bool:
        """Close a job nothing has shipped as ``changes`` say (a cancellation), unless a confirmation has
        claimed it for shipping (``claim_for_shipping``): False then."""
        fields = dict(changes)
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":v{i}": _to_dynamo(value) for i, value in enumerate(fields.values())}
        expression = "SET " + ", ".join([*(f"#f{i} = :v{i}" for i in range(len(fields))), "updated_at = :now"])
        return self._conditional(
            salesorder_id,
            expression + " REMOVE open_job",
            "attribute_exists(pk) AND (attribute_not_exists(shipping_claimed) OR shipping_claimed = :no)",
            {":no": False, **values},
            names,
        )

    def reopen_job(self, salesorder_id: str, *, order_ref: str, recreate_count: int) -> None:
        """Start the job again under a new Shiprocket reference (``SO-…-R<n>``), after its shipment was cancelled
        on both sides: every step forgotten, the job back in the stuck-order index. History (amendments, the
        refusals' courier ranking aside) stays."""
        now = _now()
        self._table.update_item(
            Key={"pk": f"SO#{salesorder_id}"},
            UpdateExpression=(
                "SET #state = :received, order_ref = :ref, recreate_count = :count, open_job = :one, "
                "confirmed_at = :now, updated_at = :now REMOVE " + ", ".join(REOPENED_FIELDS)
            ),
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":received": JobState.RECEIVED.value,
                ":ref": order_ref,
                ":count": recreate_count,
                ":one": "1",
                ":now": now,
            },
        )

    def _conditional(
        self,
        salesorder_id: str,
        expression: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> bool:
        from botocore.exceptions import ClientError

        all_names = {**(names or {})}
        if "#state" in condition:
            all_names["#state"] = "state"
        try:
            self._table.update_item(
                Key={"pk": f"SO#{salesorder_id}"},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeValues={":now": _now(), **values},
                **({"ExpressionAttributeNames": all_names} if all_names else {}),
            )
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def record_awb(self, entry: OrderRecord, *, awb: str, courier_id: int, courier_name: str) -> None:
        """AWB on the order item and the AWB lookup item, atomically."""
        now = _now()
        record = AwbRecord.of_shipped_order(entry, awb=awb, courier_id=courier_id, courier_name=courier_name, now=now)
        awb_item = {"pk": f"AWB#{awb}", **record.model_dump(exclude_defaults=True)}
        serializer = _serializer()
        dynamo = client("dynamodb")
        dynamo.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self._table_name,
                        "Item": {k: serializer.serialize(_to_dynamo(v)) for k, v in awb_item.items() if v is not None},
                    }
                },
                {
                    "Update": {
                        "TableName": self._table_name,
                        "Key": {"pk": {"S": f"SO#{entry.job_id}"}},
                        "UpdateExpression": "SET awb = :a, courier_id = :c, courier_name = :n, #s = :s, "
                        "updated_at = :u",
                        "ExpressionAttributeNames": {"#s": "state"},
                        "ExpressionAttributeValues": {
                            ":a": {"S": awb},
                            ":c": {"N": str(courier_id)},
                            ":n": {"S": courier_name},
                            ":s": {"S": JobState.AWB_ASSIGNED.value},
                            ":u": {"S": now},
                        },
                    }
                },
            ]
        )


def _serializer() -> Any:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()
