"""An order's story as the ledger tells it (issue 15: ``shipsync status``, ``GET /admin/orders/{number}``): every step
with its time where the ledger keeps one, the Shiprocket ids, each shipment's statuses, payments, restocks,
cancellations, and what is still open, so nobody has to read CloudWatch Logs to answer "what happened to SO-00231?".

``story_of`` is pure: it reads records. ``StoryReader`` gathers them (the order's job, its parcels' jobs, each AWB's
lookup item, the restock of each returned one, the customer returns): a handful of DynamoDB reads, no provider
call. Nothing in a story is a phone number or an address: only ids, statuses, amounts and times.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from shipsync.ledger.records import AwbRecord, JobState, OrderRecord, RestockRecord, RestockState

# Links into the providers' own screens, for a support tool: web pages, not API (docs/providers/zoho.md §5,
# shiprocket.md §14, "Web pages").
ZOHO_SALESORDER_URL = "https://inventory.zoho.in/app/{organization_id}#/salesorders/{salesorder_id}"
SHIPROCKET_TRACKING_URL = "https://shiprocket.co/tracking/{awb}"
SHIPROCKET_ORDER_URL = "https://app.shiprocket.in/seller/orders/details/{sr_order_id}"

_FAILED_STATES = frozenset({JobState.INVALID, JobState.NOT_SERVICEABLE, JobState.AWB_FAILED, JobState.FAILED})


@dataclass(frozen=True)
class Step:
    at: str | None
    what: str

    def line(self) -> str:
        return f"{self.at or '-':<25} {self.what}"


@dataclass
class ShipmentStory:
    awb: str
    courier: str | None
    kind: str  # "forward", "parcel <n>", "customer return"
    status: str | None
    steps: list[Step] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)


@dataclass
class OrderStory:
    salesorder_number: str
    salesorder_id: str
    state: str
    shiprocket: dict[str, Any]
    shipments: list[ShipmentStory]
    steps: list[Step]
    problems: list[str]
    links: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class StoryLedger(Protocol):
    def find_salesorder_id(self, salesorder_number: str) -> str | None: ...
    def get(self, salesorder_id: str) -> OrderRecord | None: ...
    def find_by_awb(self, awb: str) -> AwbRecord | None: ...


class RestockReads(Protocol):
    def restock(self, awb: str) -> RestockRecord | None: ...
    def returns(self, salesorder_id: str) -> dict[str, Any]: ...


def story_of(
    order: OrderRecord,
    parcels: list[OrderRecord],
    shipments: dict[str, AwbRecord],
    restocks: dict[str, RestockRecord],
    returns: dict[str, Any],
    *,
    organization_id: str = "",
) -> OrderStory:
    """``shipments``: the lookup item of every AWB the order had (forward, parcels, earlier AWBs, returns)."""
    steps = [*_job_steps(order, None), *(step for parcel in parcels for step in _job_steps(parcel, parcel.parcel_ref))]
    problems = [problem for job in (order, *parcels) for problem in _job_problems(job)]
    told: list[ShipmentStory] = []
    for awb, record in shipments.items():
        restock = restocks.get(awb)
        told.append(_shipment_story(record, restock))
        problems += _shipment_problems(record, restock)
    for key, request in sorted(returns.items()):
        steps.append(
            Step(
                request.get("created_at"),
                f"customer return {request.get('n', '?')} booked ({key}): AWB {request.get('awb') or 'not yet'}",
            )
        )
    links = {}
    if organization_id:
        links["zoho_salesorder"] = ZOHO_SALESORDER_URL.format(
            organization_id=organization_id, salesorder_id=order.salesorder_id
        )
    if order.sr_order_id:
        links["shiprocket_order"] = SHIPROCKET_ORDER_URL.format(sr_order_id=order.sr_order_id)
    return OrderStory(
        salesorder_number=order.salesorder_number,
        salesorder_id=order.salesorder_id,
        state=order.state.value,
        shiprocket={
            "order_ref": order.order_ref or None,
            "sr_order_id": order.sr_order_id,
            "shipment_id": order.shipment_id,
            "awb": order.awb,
            "courier": order.courier_name,
            "parcels": [parcel.parcel_ref for parcel in parcels],
        },
        shipments=told,
        steps=sorted(steps, key=lambda step: step.at or ""),
        problems=problems,
        links=links,
    )


def _job_steps(job: OrderRecord, parcel: str | None) -> list[Step]:
    who = f"parcel {parcel}: " if parcel else ""
    steps = [Step(job.confirmed_at or None, f"{who}confirmed in Zoho, job received")] if not parcel else []
    if job.sr_order_id:
        steps.append(
            Step(None, f"{who}Shiprocket order {job.sr_order_id} (shipment {job.shipment_id}, {job.order_ref})")
        )
    for refusal in job.refusals:
        steps.append(
            Step(None, f"{who}courier refused: {refusal.get('courier_name', '?')}: {refusal.get('reason', '')}")
        )
    if job.awb:
        steps.append(Step(None, f"{who}AWB {job.awb} with {job.courier_name or '?'}"))
    if job.pickup_requested:
        when = job.pickup_scheduled_date or "date not returned"
        steps.append(Step(None, f"{who}pickup requested ({when}, token {job.pickup_token_number or '-'})"))
    if job.label_generated:
        steps.append(Step(None, f"{who}label generated"))
    if job.zoho_fields_written:
        steps.append(Step(None, f"{who}AWB and courier written to the Zoho sales order"))
    if job.zoho_package_id or job.zoho_shipment_id:
        steps.append(
            Step(None, f"{who}Zoho package {job.zoho_package_id or '-'}, shipment order {job.zoho_shipment_id or '-'}")
        )
    for amendment in job.amendments:
        detail = amendment.get("reason") or amendment.get("fields") or amendment.get("outcome") or ""
        steps.append(Step(amendment.get("at"), f"{who}{amendment.get('kind', 'edit')}: {detail}".rstrip(": ")))
    if job.cancel_seen_at:
        steps.append(Step(job.cancel_seen_at, f"{who}cancellation asked"))
    if job.cancelled_at or job.cancel_outcome:
        steps.append(Step(job.cancelled_at, f"{who}cancellation ended: {job.cancel_outcome or 'in progress'}"))
    steps.append(Step(job.updated_at or None, f"{who}job now {job.state.value}"))
    return steps


def _job_problems(job: OrderRecord) -> list[str]:
    name = job.parcel_ref or job.salesorder_number
    problems = []
    if job.state in _FAILED_STATES:
        problems.append(f"{name}: {job.state.value}: {job.failure_reason or 'no reason recorded'}")
    elif job.failure_reason:
        problems.append(f"{name}: {job.failure_reason}")
    if job.state is JobState.SYNCED and not job.zoho_shipment_id and not job.parcels:
        problems.append(f"{name}: shipped, but no Zoho shipment order is recorded")
    return problems


def _shipment_story(record: AwbRecord, restock: RestockRecord | None) -> ShipmentStory:
    kind = "customer return" if record.is_return else f"parcel {record.parcel}" if record.parcel else "forward"
    story = ShipmentStory(record.awb, record.courier_name, kind, record.status)
    story.links["tracking"] = SHIPROCKET_TRACKING_URL.format(awb=record.awb)
    story.steps.append(Step(record.created_at, "AWB recorded, tracked from here"))
    for transition in record.transitions:
        story.steps.append(
            Step(
                transition.get("event_time") or transition.get("recorded_at"),
                f"{transition.get('from') or '-'} -> {transition.get('to')}",
            )
        )
    for action in record.ndr_actions:
        story.steps.append(Step(action.get("at"), f"NDR action {action.get('action', '?')}"))
    if record.delivered_at:
        story.steps.append(Step(record.delivered_at, "delivered"))
    if record.payment_id:
        story.steps.append(
            Step(
                record.remitted_at,
                f"COD paid in Zoho Books: payment {record.payment_id}, UTR {record.remitted_utr}, "
                f"charges {record.charges_paise / 100:.2f}",
            )
        )
    if restock is not None:
        story.steps.append(
            Step(
                None,
                f"restock {restock.state.value}: sales return {restock.salesreturn_id or '-'}, receive "
                f"{restock.receive_id or '-'}, credit note {restock.creditnote_id or '-'}",
            )
        )
    story.steps.sort(key=lambda step: step.at or "")
    return story


def _shipment_problems(record: AwbRecord, restock: RestockRecord | None) -> list[str]:
    problems = []
    if record.remittance_problem:
        problems.append(f"AWB {record.awb}: remittance: {record.remittance_problem}")
    if record.remit_waiting:
        problems.append(f"AWB {record.awb}: a remittance waits for its delivery (next check {record.remit_next_check})")
    if restock is not None and restock.state is not RestockState.DONE:
        problems.append(f"AWB {record.awb}: restock {restock.state.value}: {restock.failure_reason or 'in progress'}")
    return problems


class StoryReader:
    def __init__(self, ledger: StoryLedger, restocks: RestockReads, organization_id: str = "") -> None:
        self._ledger = ledger
        self._restocks = restocks
        self._organization_id = organization_id

    def story(self, key: str) -> OrderStory | None:
        """The story of a sales order named by its number (``SO-00231``), its Zoho id, or one of its AWBs."""
        order = self._order(key.strip())
        if order is None:
            return None
        parcels = [job for job_id in order.parcel_job_ids() if (job := self._ledger.get(job_id)) is not None]
        awbs = [job.awb for job in (order, *parcels) if job.awb]
        awbs += [str(a["previous_awb"]) for job in (order, *parcels) for a in job.amendments if a.get("previous_awb")]
        returns = self._restocks.returns(order.salesorder_id)
        awbs += [str(request["awb"]) for request in returns.values() if request.get("awb")]
        shipments = {
            awb: record for awb in dict.fromkeys(awbs) if (record := self._ledger.find_by_awb(awb)) is not None
        }
        restocks = {
            awb: restock
            for awb, record in shipments.items()
            if (record.is_return or (record.status or "").startswith("RTO"))
            and (restock := self._restocks.restock(awb)) is not None
        }
        return story_of(order, parcels, shipments, restocks, returns, organization_id=self._organization_id)

    def _order(self, key: str) -> OrderRecord | None:
        if not key:
            return None
        salesorder_id = self._ledger.find_salesorder_id(key)
        if salesorder_id is None:
            record = self._ledger.find_by_awb(key)
            salesorder_id = record.salesorder_id if record is not None else key
        return self._ledger.get(salesorder_id)


def render(story: OrderStory) -> str:
    lines = [
        f"{story.salesorder_number} (Zoho {story.salesorder_id}): {story.state}",
        "Shiprocket: " + ", ".join(f"{key} {value}" for key, value in story.shiprocket.items() if value),
        *(f"  {name}: {url}" for name, url in story.links.items()),
        "Steps:",
        *(f"  {step.line()}" for step in story.steps),
    ]
    for shipment in story.shipments:
        lines.append(f"Shipment {shipment.awb} ({shipment.kind}, {shipment.courier or '?'}): {shipment.status or '-'}")
        lines += [f"  {step.line()}" for step in shipment.steps]
        lines += [f"  {name}: {url}" for name, url in shipment.links.items()]
    lines.append("Open problems:" if story.problems else "No open problems.")
    lines += [f"  - {problem}" for problem in story.problems]
    return "\n".join(lines)
