"""The one in-memory ledger of the unit tests: ``DynamoLedger`` and ``DynamoRestockLedger`` together, item for item.

Items are kept as DynamoDB keeps them (plain JSON-like dicts, copied in and out), the sparse indexes are
filters over the same flags, and every write creates its item when absent, as ``update_item`` does.
``tests/unit/test_ledger_contract.py`` runs one suite against this and against the DynamoDB adapters on moto,
so a fake that drifts from the real ledger fails there.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any, Unpack

from pydantic import BaseModel

from shipsync.ledger.dynamo import REOPENED_FIELDS
from shipsync.ledger.records import (
    WALLET_CLAIM_SETTLE_S,
    AwbChanges,
    AwbRecord,
    JobState,
    OrderChanges,
    OrderRecord,
    ReconcilePass,
    RemittanceHeader,
    RestockChanges,
    RestockRecord,
    RestockState,
)

CONFIRMED_AT = "2025-01-11T10:00:00+00:00"


def _plain(values: Any) -> Any:
    """What a DynamoDB round trip leaves of a value: models as their JSON form, enums as their text."""
    if isinstance(values, BaseModel):
        return values.model_dump(mode="json")
    if isinstance(values, dict):
        return {key: _plain(value) for key, value in values.items()}
    if isinstance(values, list):
        return [_plain(value) for value in values]
    if isinstance(values, str):
        return str(values)
    return copy.deepcopy(values)


class MemoryLedger:
    def __init__(self, *, now: str = CONFIRMED_AT) -> None:
        self.entries: dict[
            str, dict[str, Any]
        ] = {}  # SO#<job id>: the order's, or <salesorder_id>#<parcel_ref> a parcel's
        self.awbs: dict[str, dict[str, Any]] = {}  # AWB#<awb>
        self.numbers: dict[str, str] = {}  # SONUM#<salesorder_number>
        self.remittances: dict[str, dict[str, Any]] = {}  # REMIT#<remittance_id>
        self.restocks: dict[str, dict[str, Any]] = {}  # RESTOCK#<awb>
        self.return_records: dict[str, dict[str, dict[str, Any]]] = {}  # RETURNS#<salesorder_id>
        self.marks: set[str] = set()  # MARK#<key>
        self.wallet_rows: dict[str, dict[str, Any]] = {}  # WALLET#<transaction id>
        self.contents: dict[int, list[dict[str, Any]]] = {}  # CONTENTS#<Shiprocket order id>
        self.reconcile_passes: dict[str, dict[str, Any]] = {}  # RECONCILE#<night>
        self.now = now

    @property
    def awaiting(self) -> set[str]:
        """The sales orders in the stuck-order index (``open_job``)."""
        return {so for so, item in self.entries.items() if item.get("open_job") == "1"}

    # ------------------------------------------------------------------ MARK#
    def mark_once(self, key: str) -> bool:
        if key in self.marks:
            return False
        self.marks.add(key)
        return True

    # ------------------------------------------------------------- RECONCILE#
    def reconcile_pass(self, night: str) -> ReconcilePass | None:
        item = self.reconcile_passes.get(night)
        return ReconcilePass.model_validate(copy.deepcopy(item)) if item is not None else None

    def save_reconcile_pass(self, night_pass: ReconcilePass) -> None:
        self.reconcile_passes[night_pass.night] = _plain(night_pass)

    def claim_wallet_row(self, transaction_id: str, *, settle_s: float = WALLET_CLAIM_SETTLE_S) -> str:
        if transaction_id not in self.wallet_rows:
            self.wallet_rows[transaction_id] = {"state": "in_flight", "claimed_at": time.time()}
            return "new"
        row = self.wallet_rows[transaction_id]
        if row["state"] == "booked":
            return "booked"
        return "busy" if time.time() - row.get("claimed_at", 0.0) < settle_s else "in_flight"

    def mark_wallet_row_booked(self, transaction_id: str, entry_id: str) -> None:
        self.wallet_rows[transaction_id] = {"state": "booked", "entry_id": entry_id}

    def parcel_contents(self, sr_order_id: int, read: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        if int(sr_order_id) not in self.contents:
            self.contents[int(sr_order_id)] = _plain(read())
        return copy.deepcopy(self.contents[int(sr_order_id)])

    # ------------------------------------------------------------------ SO# and SONUM#
    def get(self, salesorder_id: str) -> OrderRecord | None:
        item = self.entries.get(salesorder_id)
        return None if item is None else OrderRecord.model_validate(copy.deepcopy(item))

    def ensure(self, salesorder_id: str, salesorder_number: str) -> OrderRecord:
        if salesorder_id not in self.entries:
            entry = OrderRecord(
                salesorder_id=salesorder_id,
                salesorder_number=salesorder_number,
                order_ref=salesorder_number,
                confirmed_at=self.now,
                updated_at=self.now,
            )
            self.entries[salesorder_id] = {"open_job": "1", **_plain(entry.model_dump(exclude_none=True))}
        self.numbers[self.entries[salesorder_id]["salesorder_number"]] = salesorder_id
        entry = self.get(salesorder_id)
        assert entry is not None
        return entry

    def ensure_parcel(self, order: OrderRecord, *, parcel: int, order_ref: str, lines: dict[str, float]) -> OrderRecord:
        entry = OrderRecord.parcel_of(order, parcel=parcel, order_ref=order_ref, lines=lines, now=self.now)
        self.entries.setdefault(entry.job_id, _plain(entry.model_dump(exclude_none=True)))
        self.numbers[order_ref] = entry.job_id
        existing = self.get(entry.job_id)
        assert existing is not None
        return existing

    def find_salesorder_id(self, salesorder_number: str) -> str | None:
        return self.numbers.get(salesorder_number)

    def update(self, salesorder_id: str, **changes: Unpack[OrderChanges]) -> None:
        self.entries.setdefault(salesorder_id, {}).update(_plain(dict(changes)))

    def close_job(self, salesorder_id: str, **changes: Unpack[OrderChanges]) -> None:
        self.update(salesorder_id, **changes)
        self.entries[salesorder_id].pop("open_job", None)

    def claim_for_shipping(self, salesorder_id: str) -> bool:
        item = self.entries.get(salesorder_id)
        if item is None or item.get("state") == JobState.CANCELLED:
            return False
        item["shipping_claimed"] = True
        return True

    def cancel_unclaimed(self, salesorder_id: str, **changes: Unpack[OrderChanges]) -> bool:
        item = self.entries.get(salesorder_id)
        if item is None or item.get("shipping_claimed"):
            return False
        self.close_job(salesorder_id, **changes)
        return True

    def reopen_job(self, salesorder_id: str, *, order_ref: str, recreate_count: int) -> None:
        item = self.entries[salesorder_id]
        for name in REOPENED_FIELDS:
            item.pop(name, None)
        item.update(
            state=JobState.RECEIVED,
            order_ref=order_ref,
            recreate_count=recreate_count,
            open_job="1",
            confirmed_at=self.now,
        )

    def open_jobs(self, confirmed_before: str, limit: int = 100) -> list[OrderRecord]:
        open_items = sorted(
            (item for item in self.entries.values() if item.get("open_job") == "1"),
            key=lambda item: str(item["confirmed_at"]),
        )
        due = [item for item in open_items if item["confirmed_at"] < confirmed_before][:limit]
        return [OrderRecord.model_validate(copy.deepcopy(item)) for item in due]

    def record_awb(self, entry: OrderRecord, *, awb: str, courier_id: int, courier_name: str) -> None:
        record = AwbRecord.of_shipped_order(
            entry, awb=awb, courier_id=courier_id, courier_name=courier_name, now=self.now
        )
        self.awbs[awb] = _plain(record.model_dump(exclude_defaults=True))
        self.update(
            entry.job_id, awb=awb, courier_id=courier_id, courier_name=courier_name, state=JobState.AWB_ASSIGNED
        )

    # ------------------------------------------------------------------ AWB#
    def find_by_awb(self, awb: str) -> AwbRecord | None:
        item = self.awbs.get(awb)
        return None if item is None else AwbRecord.model_validate(copy.deepcopy(item))

    awb_item = find_by_awb

    def shipment_awb(self, salesorder_id: str) -> str | None:
        entry = self.get(salesorder_id)
        return None if entry is None else entry.awb

    def put_awb(self, record: AwbRecord) -> bool:
        if record.awb in self.awbs:
            return False
        self.awbs[record.awb] = _plain(record.tracked_from(self.now).model_dump(exclude_defaults=True))
        return True

    def update_awb(self, awb: str, **changes: Unpack[AwbChanges]) -> None:
        self.awbs.setdefault(awb, {"awb": awb}).update(_plain(dict(changes)))

    def close_tracking(self, awb: str) -> None:
        self.awbs[awb].pop("tracking_open", None)

    def quiet_shipments(self, last_event_before: str, limit: int = 200) -> list[AwbRecord]:
        quiet = [
            item
            for item in self.awbs.values()
            if item.get("tracking_open") == "1" and str(item.get("last_event_at", "")) < last_event_before
        ]
        quiet.sort(key=lambda item: str(item["last_event_at"]))
        return [AwbRecord.model_validate(copy.deepcopy(item)) for item in quiet[:limit]]

    def shipments_since(self, created_after: str, limit: int = 2000) -> list[AwbRecord]:
        found = [item for item in self.awbs.values() if str(item.get("created_at") or "") >= created_after]
        found.sort(key=lambda item: str(item.get("created_at") or ""))
        return [AwbRecord.model_validate(copy.deepcopy(item)) for item in found[:limit]]

    def jobs_confirmed_between(self, start: str, end: str, limit: int = 5000) -> list[OrderRecord]:
        found = [
            OrderRecord.model_validate(copy.deepcopy(item))
            for key, item in self.entries.items()
            if "#" not in key and start <= str(item.get("confirmed_at") or "") < end
        ]
        return found[:limit]

    def remittances_received_between(self, start: str, end: str, limit: int = 500) -> list[RemittanceHeader]:
        found = [
            RemittanceHeader.model_validate({**copy.deepcopy(item), "remittance_id": remittance_id})
            for remittance_id, item in self.remittances.items()
            if start <= str(item.get("received_at") or "") < end
        ]
        return found[:limit]

    # ------------------------------------------------------------------ remittance
    def record_remittance(self, header: RemittanceHeader) -> None:
        self.remittances[header.remittance_id] = _plain(header.model_dump(exclude={"remittance_id"}))

    def mark_remitted(self, awb: str, **changes: Unpack[AwbChanges]) -> None:
        self.update_awb(awb, **changes)
        self.awbs[awb].pop("cod_open", None)

    def unremitted_cod(self, limit: int = 500) -> list[AwbRecord]:
        open_cod = sorted(
            (item for item in self.awbs.values() if item.get("cod_open") == "1"),
            key=lambda item: str(item.get("delivered_at", "")),
        )
        return [AwbRecord.model_validate(copy.deepcopy(item)) for item in open_cod[:limit]]

    def park_remittance(self, awb: str, *, next_check: str, pending: dict[str, Any]) -> None:
        self.update_awb(awb, remit_waiting="1", remit_next_check=next_check, remit_pending=pending)

    def waiting_remittances(self, due_before: str, limit: int = 500) -> list[AwbRecord]:
        due = sorted(
            (
                item
                for item in self.awbs.values()
                if item.get("remit_waiting") == "1" and str(item["remit_next_check"]) <= due_before
            ),
            key=lambda item: str(item["remit_next_check"]),
        )
        return [AwbRecord.model_validate(copy.deepcopy(item)) for item in due[:limit]]

    def close_waiting(self, awb: str) -> None:
        for key in ("remit_waiting", "remit_next_check"):
            self.awbs[awb].pop(key, None)

    # ------------------------------------------------------------------ RESTOCK#
    def begin(
        self, awb: str, *, owner: str, now: str, lease_until: str, kind: str, salesorder_id: str, salesorder_number: str
    ) -> RestockRecord | None:
        item = self.restocks.setdefault(awb, {})
        if item.get("lock_owner") not in (None, owner) and str(item.get("lock_until", "")) >= now:
            return None
        identity = {
            "awb": awb,
            "kind": kind,
            "salesorder_id": salesorder_id,
            "salesorder_number": salesorder_number,
            "state": RestockState.IN_PROGRESS.value,
            "created_at": now,
        }
        for name, value in identity.items():
            item.setdefault(name, value)
        item.update(lock_owner=owner, lock_until=lease_until)
        return RestockRecord.model_validate(copy.deepcopy(item))

    def save(self, awb: str, **changes: Unpack[RestockChanges]) -> None:
        self.restocks.setdefault(awb, {}).update(_plain(dict(changes)))

    def restock(self, awb: str) -> RestockRecord | None:
        item = self.restocks.get(awb)
        return None if item is None else RestockRecord.model_validate(copy.deepcopy(item))

    def release(self, awb: str, owner: str) -> None:
        item = self.restocks[awb]
        if item.get("lock_owner") == owner:
            item.pop("lock_owner")
            item.pop("lock_until")

    # ------------------------------------------------------------------ RETURNS#
    def returns(self, salesorder_id: str) -> dict[str, Any]:
        return copy.deepcopy(self.return_records.get(salesorder_id, {}))

    def reserve_return(self, salesorder_id: str, request_key: str, **fields: Any) -> dict[str, Any]:
        records = self.return_records.setdefault(salesorder_id, {})
        if request_key not in records:
            records[request_key] = {**_plain(fields), "n": len(records) + 1, "created_at": self.now}
        return copy.deepcopy(records[request_key])

    def save_return(self, salesorder_id: str, request_key: str, **fields: Any) -> None:
        self.return_records[salesorder_id][request_key].update(_plain(fields))
