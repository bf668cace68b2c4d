"""Shipment status: Shiprocket tracking (webhook or pull) -> our status, moved forward only.

Pure: no I/O (docs/providers/shiprocket.md §7, §8, §12).

Shiprocket reports two status numbers from two different tables; only ``shipment_status_id``
(the shipment table, §8a, also the ``sr-status`` of a scan) is mapped. ``current_status_id``
(the order table, §8b) is kept on the event for logs only.

Webhooks carry no event id and arrive duplicated and out of order, so the status machine
(``advance``) is forward-only by ``rank`` and event time. Ranks form bands rather than a chain:

    Pickup Scheduled (10) < Picked Up (20) < In Transit (30) < Out for Delivery = Undelivered (40)
      < Delivered (50) < RTO Initiated (60) < RTO In Transit (70) < RTO Delivered (80)
      < Lost = Damaged/Destroyed = Cancelled (90)

Out for Delivery and Undelivered (NDR) share a band, so a re-attempt (NDR -> OFD -> NDR ...)
follows the newer event either way. Terminal statuses (Delivered, RTO Delivered, Lost,
Damaged/Destroyed, Cancelled) are never left, whatever arrives later: that is what keeps
Delivered from becoming an RTO although the RTO band ranks above it. Lost, Damaged and
Cancelled rank above everything, so they follow any non-terminal status.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final, Literal

from shipsync.domain.identifiers import awb_problem
from shipsync.domain.india import IST, SHIPROCKET_TIMESTAMP_FORMATS
from shipsync.domain.statuses import ShipmentStatus
from shipsync.errors import PermanentError

__all__ = [
    "STATUS_BY_SHIPMENT_STATUS_ID",
    "InvalidWebhook",
    "OpsAlert",
    "ShipmentStatus",
    "TrackingEvent",
    "Transition",
    "TransitionReason",
    "advance",
    "events_from_tracking",
    "is_terminal",
    "needs_ops",
    "parse_timestamp",
    "parse_webhook",
    "rank",
    "status_from_id",
]


_S = ShipmentStatus
# Reference §8a names in comments; ids grouped by the status they become.
_PRE_PICKUP = (
    1,  # AWB ASSIGNED
    2,  # LABEL GENERATED
    3,  # PICKUP SCHEDULED/GENERATED
    4,  # PICKUP QUEUED
    5,  # MANIFEST GENERATED
    # PENDING: an order still waiting for pickup; nothing has moved yet.
    11,
    # PICKUP ERROR: the courier retries a failed pickup; the parcel is still with the seller and the
    # quiet-shipment poll notices one that never gets picked up.
    13,
    15,  # PICKUP RESCHEDULED
    19,  # OUT FOR PICKUP
    20,  # PICKUP EXCEPTION
    27,  # PICKUP BOOKED
    # QC FAILED (reverse pickups): the courier refused the item at the customer's door after its
    # quality check, so the parcel never left; a pickup outcome, not a delivery failure (NDR).
    47,
    52,  # SHIPMENT BOOKED
)
_IN_TRANSIT = (
    18,  # IN TRANSIT
    22,  # DELAYED: late but moving, not a delivery failure, so not NDR
    38,  # REACHED AT DESTINATION HUB
    39,  # MISROUTED
    48,  # REACHED WAREHOUSE
    49,  # CUSTOM CLEARED
    50,  # IN FLIGHT
    # 54-72: international and fulfilment-centre steps (54 IN TRANSIT OVERSEAS, 59 BOX PACKING,
    # 63 PACKED, 68 PROCESSED AT WAREHOUSE...). Our sellers ship from their own pickup location,
    # so these only appear once Shiprocket holds the parcel: grouped as in transit.
    *range(54, 73),
)

_MAP: dict[int, ShipmentStatus] = {
    **dict.fromkeys(_PRE_PICKUP, _S.PICKUP_SCHEDULED),
    6: _S.PICKED_UP,  # SHIPPED
    42: _S.PICKED_UP,
    51: _S.PICKED_UP,  # HANDOVER TO COURIER
    **dict.fromkeys(_IN_TRANSIT, _S.IN_TRANSIT),
    17: _S.OUT_FOR_DELIVERY,
    # PARTIAL DELIVERED: some pieces of a multi-piece shipment are still out. Calling it Delivered
    # would close a prepaid order with goods missing and ignore an RTO of the rest, so it stays in
    # the last-mile band until a 7 DELIVERED (or an RTO) settles it.
    23: _S.OUT_FOR_DELIVERY,
    7: _S.DELIVERED,
    26: _S.DELIVERED,  # FULFILLED
    43: _S.DELIVERED,  # SELF FULFILLED
    21: _S.UNDELIVERED,
    77: _S.UNDELIVERED,  # ISSUE RELATED TO THE RECIPIENT
    9: _S.RTO_INITIATED,
    14: _S.RTO_INITIATED,  # RTO ACKNOWLEDGED
    75: _S.RTO_INITIATED,  # RTO LOCK
    40: _S.RTO_IN_TRANSIT,  # RTO NDR: the seller's own address refused; the parcel is still coming back
    41: _S.RTO_IN_TRANSIT,  # RTO OFD
    46: _S.RTO_IN_TRANSIT,
    78: _S.RTO_IN_TRANSIT,  # REACHED BACK AT SELLER CITY
    10: _S.RTO_DELIVERED,
    12: _S.LOST,
    76: _S.LOST,  # UNTRACEABLE
    24: _S.DAMAGED,  # DESTROYED
    25: _S.DAMAGED,
    44: _S.DAMAGED,  # DISPOSED OFF
    8: _S.CANCELLED,
    # CANCELLATION REQUESTED: Shiprocket only lets a shipment be cancelled before pickup (§10), and a
    # pickup scan after it would be refused by the terminal rule anyway.
    16: _S.CANCELLED,
    45: _S.CANCELLED,  # CANCELLED BEFORE DISPATCHED
}

STATUS_BY_SHIPMENT_STATUS_ID: Final[Mapping[int, ShipmentStatus]] = MappingProxyType(dict(sorted(_MAP.items())))

_RANK: Final[Mapping[ShipmentStatus, int]] = MappingProxyType(
    {
        _S.UNKNOWN: 0,
        _S.PICKUP_SCHEDULED: 10,
        _S.PICKED_UP: 20,
        _S.IN_TRANSIT: 30,
        _S.OUT_FOR_DELIVERY: 40,
        _S.UNDELIVERED: 40,
        _S.DELIVERED: 50,
        _S.RTO_INITIATED: 60,
        _S.RTO_IN_TRANSIT: 70,
        _S.RTO_DELIVERED: 80,
        _S.LOST: 90,
        _S.DAMAGED: 90,
        _S.CANCELLED: 90,
    }
)

_TERMINAL: Final = frozenset({_S.DELIVERED, _S.RTO_DELIVERED, _S.LOST, _S.DAMAGED, _S.CANCELLED})

OpsAlert = Literal["rto_initiated", "lost_or_damaged", "ndr"]
_OPS: Final[Mapping[ShipmentStatus, OpsAlert]] = MappingProxyType(
    {
        _S.RTO_INITIATED: "rto_initiated",
        _S.LOST: "lost_or_damaged",
        _S.DAMAGED: "lost_or_damaged",
        _S.UNDELIVERED: "ndr",
    }
)


def status_from_id(shipment_status_id: int | None) -> ShipmentStatus:
    """Our status for a §8a ``shipment_status_id``; UNKNOWN for an id outside the table (or None)."""
    if shipment_status_id is None:
        return ShipmentStatus.UNKNOWN
    return STATUS_BY_SHIPMENT_STATUS_ID.get(shipment_status_id, ShipmentStatus.UNKNOWN)


def rank(status: ShipmentStatus) -> int:
    """Forward-only order (see the module doc); UNKNOWN ranks lowest."""
    return _RANK[status]


def is_terminal(status: ShipmentStatus) -> bool:
    return status in _TERMINAL


def needs_ops(status: ShipmentStatus) -> OpsAlert | None:
    """What the service pages ops about when a shipment enters ``status``, if anything."""
    return _OPS.get(status)


# ------------------------------------------------------------------------------ parsing


class InvalidWebhook(PermanentError, ValueError):
    """A tracking payload we cannot use; ``field`` names the culprit for the 4xx answer."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def parse_timestamp(text: str) -> datetime:
    """``DD MM YYYY HH:MM:SS``, ``YYYY-MM-DD HH:MM:SS`` or ``12 Mar 2021, 04:16 PM`` (IST) -> aware.

    Raises ValueError for anything else.
    """
    cleaned = " ".join(text.split())
    for fmt in SHIPROCKET_TIMESTAMP_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).replace(tzinfo=IST)
        except ValueError:
            continue
    raise ValueError(f"unrecognised Shiprocket timestamp {text!r}")


_INT_TEXT = re.compile(r"[+-]?\d+")


def _int_or_none(value: Any) -> int | None:
    """An int, or an int sent as a string; None for anything else ("NA", "", 1.5, True...)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _text_or_none(value: Any) -> str | None:
    """Stripped text (ints become text); None for missing, empty and Shiprocket's "NA"."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        text = value.strip()
        return None if not text or text.upper() == "NA" else text
    return None


def _time_or_none(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return _int_or_none(value) == 1


@dataclass(frozen=True)
class TrackingEvent:
    awb: str
    shipment_status_id: int | None
    status: ShipmentStatus
    event_time: datetime
    current_status_id: int | None
    courier_name: str | None
    sr_order_id: int | None
    order_id: str | None
    is_return: bool
    # Delivery-failure / return reason, set only for statuses ops is paged about: the activity of the scan that
    # reports the status, else the status as Shiprocket names it.
    reason: str | None
    location: str | None
    raw_status_label: str | None
    # The newest scan's activity when it is not the reason's own scan (where the parcel was, for the page).
    last_activity: str | None = None
    # The courier's expected delivery date as this event gives it (``etd``, else ``edd``; §7), or None.
    expected_delivery: str | None = None

    def dedupe_key(self) -> str:
        """(AWB, status id, event time): Shiprocket sends no event id, so this is the identity (§7)."""
        return f"{self.awb}:{self.shipment_status_id}:{self.event_time.isoformat()}"


@dataclass(frozen=True)
class _Scan:
    time: datetime | None
    status_id: int | None
    activity: str | None
    location: str | None
    label: str | None


def _scans(value: Any) -> list[_Scan]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [
        _Scan(
            time=_time_or_none(item.get("date")),
            status_id=_int_or_none(item.get("sr-status")),
            activity=_text_or_none(item.get("activity")),
            location=_text_or_none(item.get("location")),
            label=_text_or_none(item.get("sr-status-label")),
        )
        for item in value
        if isinstance(item, Mapping)
    ]


def _newest(scans: Sequence[_Scan], status_id: int | None = None) -> _Scan | None:
    """The newest dated scan (reporting ``status_id``, when given); list order breaks ties."""
    dated = [scan for scan in scans if scan.time is not None and (status_id is None or scan.status_id == status_id)]
    if not dated:
        return None
    newest = max(scan.time for scan in dated if scan.time is not None)
    return [scan for scan in dated if scan.time == newest][-1]


def _reason(status: ShipmentStatus, scan: _Scan | None, own_status: str | None) -> str | None:
    """Why ops are paged: the activity of the scan reporting the status, else the status Shiprocket names itself.

    A live RTO-initiated webhook carries no scan with the RTO status id (docs/providers/shiprocket.md §7): the
    newest scan then tells where the parcel was ("In Transit - Added to Bag"), not why it is coming back."""
    if needs_ops(status) is None:
        return None
    return (scan.activity if scan else None) or own_status


def _other_activity(newest: _Scan | None, reported: _Scan | None) -> str | None:
    return newest.activity if newest is not None and newest is not reported else None


def parse_webhook(payload: Any) -> TrackingEvent:
    """Shiprocket's status webhook body (§7) -> one event; InvalidWebhook names the unusable field.

    Event time is ``current_timestamp``, or the newest scan date when that is missing or unreadable.
    """
    if not isinstance(payload, Mapping):
        raise InvalidWebhook("body", "expected a JSON object")
    awb = _text_or_none(payload.get("awb"))
    if awb is None:
        raise InvalidWebhook("awb", "missing or empty")
    problem = awb_problem(awb)
    if problem:
        raise InvalidWebhook("awb", problem)
    raw_id = payload.get("shipment_status_id")
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        raise InvalidWebhook("shipment_status_id", "missing")
    status_id = _int_or_none(raw_id)
    if status_id is None:
        raise InvalidWebhook("shipment_status_id", "not an integer")

    scans = _scans(payload.get("scans"))
    scan = _newest(scans, status_id)
    event_time = _time_or_none(payload.get("current_timestamp"))
    if event_time is None:
        scan_times = [s.time for s in scans if s.time is not None]
        if not scan_times:
            raise InvalidWebhook("current_timestamp", "missing or unreadable, and no dated scan")
        event_time = max(scan_times)

    status = status_from_id(status_id)
    label = _text_or_none(payload.get("shipment_status"))
    newest = _newest(scans)
    # Where the parcel was last seen: the scan reporting the status, else the newest one.
    where = scan or newest
    return TrackingEvent(
        awb=awb,
        shipment_status_id=status_id,
        status=status,
        event_time=event_time,
        current_status_id=_int_or_none(payload.get("current_status_id")),
        courier_name=_text_or_none(payload.get("courier_name")),
        sr_order_id=_int_or_none(payload.get("sr_order_id")),
        order_id=_text_or_none(payload.get("order_id")),
        is_return=_flag(payload.get("is_return")),
        reason=_reason(status, scan, label or _text_or_none(payload.get("current_status"))),
        location=where.location if where else None,
        raw_status_label=label or (scan.label if scan else None),
        last_activity=_other_activity(newest, scan),
        expected_delivery=expected_date(payload.get("etd"), payload.get("edd")),
    )


def expected_date(*values: Any) -> str | None:
    """The first of ``values`` that reads as a date ("2023-05-23 15:40:19"), as YYYY-MM-DD; null, "" and "NA" are
    unknown (docs/providers/shiprocket.md §7)."""
    for value in values:
        moment = _time_or_none(value)
        if moment is not None:
            return moment.astimezone(IST).date().isoformat()
    return None


def events_from_tracking(awb: str, tracking_data: Mapping[str, Any]) -> list[TrackingEvent]:
    """The pull API's ``tracking_data`` (§7) -> events, oldest first; [] when there are no scans.

    One event per activity whose ``sr-status`` is an integer. When no activity carries the
    current ``shipment_status`` it is added last, at the later of the newest activity's time and the
    ``delivered_date``, so a poll always reaches the status Shiprocket reports now (no time at all:
    left out, since an undated event cannot be ordered).
    """
    if _int_or_none(tracking_data.get("track_status")) != 1:
        return []
    tracks = tracking_data.get("shipment_track")
    track: Mapping[str, Any] = {}
    if isinstance(tracks, Sequence) and tracks and isinstance(tracks[0], Mapping):
        track = tracks[0]
    courier_name = _text_or_none(track.get("courier_name"))
    order_id = _text_or_none(track.get("order_id"))

    def event(status_id: int, time: datetime, scan: _Scan | None, label: str | None) -> TrackingEvent:
        status = status_from_id(status_id)
        where = scan or newest
        return TrackingEvent(
            awb=awb,
            shipment_status_id=status_id,
            status=status,
            event_time=time,
            current_status_id=None,
            courier_name=courier_name,
            sr_order_id=None,
            order_id=order_id,
            is_return=False,
            reason=_reason(status, scan, label),
            location=where.location if where else None,
            raw_status_label=label,
            last_activity=_other_activity(newest, scan),
            expected_delivery=expected_date(tracking_data.get("etd"), track.get("edd")),
        )

    scans = _scans(tracking_data.get("shipment_track_activities"))
    newest = _newest(scans)
    # Activities come newest first; reversing before a stable sort keeps equal-time scans in scan order.
    timeline: list[tuple[datetime, int, _Scan]] = []
    for scan in reversed(scans):
        if scan.time is not None and scan.status_id is not None:
            timeline.append((scan.time, scan.status_id, scan))
    timeline.sort(key=lambda item: item[0])
    events = [event(status_id, time, scan, scan.label) for time, status_id, scan in timeline]

    current_id = _int_or_none(tracking_data.get("shipment_status"))
    if current_id is not None and all(e.shipment_status_id != current_id for e in events):
        delivered = _time_or_none(track.get("delivered_date"))
        times = [t for t in (newest.time if newest else None, delivered) if t is not None]
        if times:
            # No activity reports the current status, so none of them says why: the reason is the status itself.
            events.append(event(current_id, max(times), None, _text_or_none(track.get("current_status"))))
    return events


# ------------------------------------------------------------------------- status machine

TransitionReason = Literal["duplicate", "older than current", "regression", "advanced", "unknown status id"]


@dataclass(frozen=True)
class Transition:
    """The outcome of one event. Write to Zoho (and the ledger's status) only when ``changed``.

    ``new`` is the status after the event: the event's status when changed, else the current one
    (UNKNOWN when nothing was known and the event's id was unknown too).
    """

    previous: ShipmentStatus | None
    new: ShipmentStatus
    changed: bool
    reason: TransitionReason


def advance(current: ShipmentStatus | None, current_time: datetime | None, event: TrackingEvent) -> Transition:
    """Apply ``event`` to the stored status, forward only.

    Unchanged when the event's status is unknown, equal to the current one, older than the current
    status time, of lower rank, or when the current status is terminal. An equal-rank status
    (Out for Delivery <-> Undelivered) replaces the current one when it is not older.
    """
    kept = current if current is not None else ShipmentStatus.UNKNOWN

    def keep(reason: TransitionReason) -> Transition:
        return Transition(previous=current, new=kept, changed=False, reason=reason)

    if event.status is ShipmentStatus.UNKNOWN:
        return keep("unknown status id")
    if current is None or current is ShipmentStatus.UNKNOWN:
        return Transition(previous=current, new=event.status, changed=True, reason="advanced")
    if event.status is current:
        return keep("duplicate")
    if current_time is not None and event.event_time < current_time:
        return keep("older than current")
    if is_terminal(current) or rank(event.status) < rank(current):
        return keep("regression")
    return Transition(previous=current, new=event.status, changed=True, reason="advanced")
