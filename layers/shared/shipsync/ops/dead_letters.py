"""The stack's dead-letter queues (``shipsync dlq``, ``shipsync replay``, ``GET /admin/dlq``): what each holds, and
sending it back.

Finding them. A deployed stack's outputs name every DLQ's URL (``OrderDLQUrl``..., template.yaml Outputs); the
order function's environment, which the other commands borrow, names only its own DLQ. A local stack has no
CloudFormation, but its ``.local-stack.json`` environment is every function's, and each DLQ's URL is there as
``<NAME>_DLQ_URL`` (each worker moves a malformed message to its DLQ itself). tests/unit/test_cli_queues.py holds
the template to both conventions. The admin route runs in the order function, whose ``DLQ_URLS_JSON`` names every
DLQ by its logical name (``from_names``). A DLQ's source queue is SQS's own answer (``ListDeadLetterSourceQueues``, the
queue whose redrive policy names it), the same on both.

Looking. SQS has no peek. A receive with VisibilityTimeout 0 leaves a message visible, but the next receive then
answers the same first messages again (always on moto, often on SQS), so a listing could not page past ten. A look
therefore holds what it receives for ``PEEK_HOLD_S``, so that the next page brings others, and makes all of it
visible again as soon as it has read it (in a ``finally``; should the process die, the hold runs out by itself).
Each look counts in a message's ``ApproximateReceiveCount``; a DLQ has no redrive policy, so that moves nothing.

Printing. A body is a job naming its order, AWB, remittance or provider, but a DLQ can also hold what no model could
read (a Zoho webhook with the buyer's address and phone). Only known identifier keys are read, and only values made
of identifier characters are printed; free text (the worker's rejection reason, the ledger's failure reason) has
anything shaped like a phone number or a token masked.

Replaying. Every message of a standard DLQ (``--all``) is moved by SQS itself: ``StartMessageMoveTask`` to the
source queue, then ``ListMessageMoveTasks`` until the task ends (``move_back``). SQS's move task does not take FIFO
queues, nor a chosen few messages, and moto (the local AWS, 5.2.5) does not implement it: those replays are
receive-and-resend, deleting from the DLQ only once the send succeeded. A FIFO message keeps its group and gets a
new deduplication id. A move task reports counts; receive-and-resend names each message it moved.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

# Messages listed per queue: a storm can leave thousands; the depth is still reported whole.
MAX_LISTED = 100
# Messages one replay sends back; a bigger DLQ takes another run (the first says it stopped).
MAX_REPLAYED = 1000
# How long a look keeps what it received invisible, so that the next page brings other messages.
PEEK_HOLD_S = 30
# How long a replay holds a page of ten while it sends each back and deletes it.
REPLAY_HOLD_S = 300
# How often a move task's progress is asked, and how long a replay waits for it (it goes on in SQS after that).
MOVE_TASK_POLL_S = 2.0
MOVE_TASK_WAIT_S = 300.0
# A long poll, however short, asks every SQS server; a short poll samples some and can answer nothing from a queue
# that holds messages. Only waited in full when the messages left are in flight.
RECEIVE_WAIT_S = 1

IDENTIFIER_KEYS = ("salesorder_number", "salesorder_id", "awb", "order_id", "remittance_id", "provider")
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/#-]{0,99}")
_WORD = re.compile(r"[a-z_]{1,24}")
_LABEL = re.compile(r"[A-Za-z][A-Za-z /-]{0,39}")
# 10 to 15 digits, maybe with a +, spaces, dots, hyphens or brackets between them: a phone number in any format.
_PHONE = re.compile(r"(?<![\w+])\+?\d(?:[ ().-]{0,2}\d){9,14}(?!\w)")
# A long run of letters and digits together (a JWT, an API key, a refresh token).
_TOKEN = re.compile(r"(?<![\w.=+/-])(?=[\w.=+/-]*\d)(?=[\w.=+/-]*[A-Za-z])[\w.=+/-]{32,}")
# pydantic's errors quote the input they refused, which may be a whole sales order: only the quote goes.
_ECHO = re.compile(r"input_value=.*?(?:, input_type=\w+|$)", re.DOTALL)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
REASON_MAX = 300

# The reason a worker gave when it moved a message here itself (shipsync.adapters.queues.dead_letter).
REJECTED_ATTRIBUTE = "shipsync_rejected"


class QueueError(Exception):
    """A DLQ cannot be used as asked: an unknown name, or not exactly one source queue."""


@dataclass(frozen=True)
class DeadLetterQueue:
    name: str  # the template's logical id: OrderDLQ
    url: str

    @property
    def fifo(self) -> bool:
        return self.url.endswith(".fifo")


def from_outputs(outputs: Mapping[str, str]) -> list[DeadLetterQueue]:
    """A deployed stack's DLQs: every ``<Name>DLQUrl`` output (``OrderDLQUrl`` -> ``OrderDLQ``)."""
    return sorted(
        (DeadLetterQueue(key.removesuffix("Url"), url) for key, url in outputs.items() if key.endswith("DLQUrl")),
        key=lambda queue: queue.name,
    )


def from_environment(environment: Mapping[str, str]) -> list[DeadLetterQueue]:
    """A local stack's DLQs: every ``<NAME>_DLQ_URL`` of its environment (``TOKEN_REFRESH_DLQ_URL`` ->
    ``TokenRefreshDLQ``)."""
    found = []
    for variable, url in environment.items():
        if variable.endswith("_DLQ_URL") and url:
            stem = variable.removesuffix("_DLQ_URL")
            found.append(DeadLetterQueue("".join(part.title() for part in stem.split("_")) + "DLQ", url))
    return sorted(found, key=lambda queue: queue.name)


def from_names(urls: Mapping[str, str]) -> list[DeadLetterQueue]:
    """The DLQs a function is handed by logical name (``DLQ_URLS_JSON``: ``{"OrderDLQ": url, ...}``)."""
    return sorted((DeadLetterQueue(name, url) for name, url in urls.items() if url), key=lambda queue: queue.name)


def find(queues: Iterable[DeadLetterQueue], name: str) -> DeadLetterQueue:
    """The DLQ of that logical name (any case)."""
    queues = list(queues)
    for queue in queues:
        if queue.name.lower() == name.lower():
            return queue
    known = ", ".join(queue.name for queue in queues) or "none"
    raise QueueError(f"no DLQ named {name} in this stack (its DLQs: {known})")


def depth(sqs: Any, url: str) -> tuple[int, int]:
    """(visible, in flight) messages of the queue, as SQS approximates them."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def source_queue(sqs: Any, queue: DeadLetterQueue) -> str:
    """The URL of the one queue that dead-letters into ``queue``."""
    urls = sqs.list_dead_letter_source_queues(QueueUrl=queue.url).get("queueUrls", [])
    if len(urls) != 1:
        named = ", ".join(urls) or "none"
        raise QueueError(f"{queue.name} is the DLQ of {len(urls)} queues ({named}): cannot tell where to send back")
    return str(urls[0])


# ----------------------------------------------------------------------------------------------- a message


@dataclass(frozen=True)
class DeadLetter:
    """What a dead message is about, as much as can be printed of it."""

    message_id: str
    # Identifiers only, by the body's own key names: salesorder_number, awb, remittance_id, provider...
    concerns: dict[str, str]
    job: str  # what it asked for: "ship webhook", "rto", "order" (a remittance line), a status label
    receive_count: int
    sent_at: str | None  # when it was first sent (ISO, UTC); a redrive keeps the original time
    group: str | None  # a FIFO message's group
    last_error: str | None = None
    ledger_state: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def read_message(message: Mapping[str, Any]) -> DeadLetter:
    """A received SQS message (with its system and message attributes) as a ``DeadLetter``."""
    try:
        body = json.loads(message.get("Body", ""))
    except ValueError:
        body = None
    job = body if isinstance(body, dict) else {}
    attributes = message.get("Attributes", {})
    rejected = (message.get("MessageAttributes") or {}).get(REJECTED_ATTRIBUTE, {}).get("StringValue")
    return DeadLetter(
        message_id=str(message["MessageId"]),
        concerns=concerns_of(job),
        job=_job(job) if job else "unreadable body",
        receive_count=int(attributes.get("ApproximateReceiveCount", 0)),
        sent_at=_time(attributes.get("SentTimestamp")),
        group=attributes.get("MessageGroupId"),
        last_error=scrub(rejected) if rejected else None,
    )


def concerns_of(job: Mapping[str, Any]) -> dict[str, str]:
    """The identifiers a job names: at its top, in a remittance's ``line`` or ``batch``, or in a raw Zoho
    webhook's ``salesorder`` (a message no model could read), and a wallet chunk's transaction ids."""
    found: dict[str, str] = {}
    for where in (job, job.get("line"), job.get("batch"), job.get("salesorder")):
        if not isinstance(where, Mapping):
            continue
        for key in IDENTIFIER_KEYS:
            value = _identifier(where.get(key))
            if value is not None and key not in found:
                found[key] = value
    rows = job.get("rows")
    if isinstance(rows, list):
        ids = [_identifier(row.get("transaction_id")) for row in rows if isinstance(row, Mapping)]
        named = [transaction for transaction in ids if transaction is not None]
        if named:
            found["transactions"] = named[0] if len(named) == 1 else f"{named[0]}..{named[-1]}"
    return found


def _identifier(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str) and _IDENTIFIER.fullmatch(value.strip()):
        return value.strip()
    return None


# A remittance message's kind, said as what it is; the other kinds (rto, customer_return...) say it themselves.
_KINDS = {"order": "remittance line", "batch": "remittance batch", "wallet_rows": "wallet rows"}


def _job(job: Mapping[str, Any]) -> str:
    words = [value for key in ("kind", "intent", "source") if isinstance(value := job.get(key), str)]
    parts = [_KINDS.get(word, word) for word in words if _WORD.fullmatch(word)]
    if not parts and "provider" in job:
        parts.append("token refresh")
    status = job.get("shipment_status")
    if isinstance(status, str) and _LABEL.fullmatch(status.strip()):
        parts.append(f"status {status.strip()}")
    return " ".join(parts) or "-"


def _time(milliseconds: Any) -> str | None:
    try:
        return datetime.fromtimestamp(int(milliseconds) / 1000, UTC).isoformat(timespec="seconds")
    except (TypeError, ValueError, OverflowError):
        return None


def scrub(text: str) -> str:
    """Free text fit to print: no quoted input, e-mail addresses, phone-shaped numbers or token-shaped strings;
    at most ``REASON_MAX`` characters."""
    text = _ECHO.sub("input_value=…", text)
    text = _EMAIL.sub("[e-mail]", text)
    text = _PHONE.sub(lambda match: "***" + re.sub(r"\D", "", match.group())[-2:], text)
    text = _TOKEN.sub("[hidden]", text)
    text = " ".join(text.split())
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


# ------------------------------------------------------------------------------------------------- ledger


@dataclass(frozen=True)
class _LedgerItem:
    """Where the ledger keeps what went wrong with the thing a DLQ's message is about."""

    prefix: str  # the item's key: prefix + the identifier
    concern: str  # the identifier (a key of ``DeadLetter.concerns``)
    reason: str | None  # the attribute holding why it failed
    state: str  # the attribute saying how far it got


# Per DLQ (layers/shared/shipsync/ledger/records.py): an order's job, a return's restock, a shipment's remittance
# problem; a status event's shipment has no failure reason, only its last status. Token refreshes have no item.
LEDGER_ITEMS = {
    "OrderDLQ": _LedgerItem("SO#", "salesorder_id", "failure_reason", "state"),
    "RtoDLQ": _LedgerItem("RESTOCK#", "awb", "failure_reason", "state"),
    "RemittanceDLQ": _LedgerItem("AWB#", "awb", "remittance_problem", "status"),
    "StatusDLQ": _LedgerItem("AWB#", "awb", None, "status"),
}


class LedgerReasons:
    """What the ledger says of a dead message's order or shipment: one GetItem per message, of two attributes.

    Optional: without a table, or once a read fails (no access, no table), messages go without it and
    ``problem`` says why."""

    def __init__(self, dynamodb: Any, table: str | None) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.problem: str | None = None if table else "no LEDGER_TABLE in the stack's environment"

    def add_to(self, queue: DeadLetterQueue, letter: DeadLetter) -> DeadLetter:
        item = LEDGER_ITEMS.get(queue.name)
        concern = letter.concerns.get(item.concern) if item else None
        if item is None or concern is None or self.problem is not None:
            return letter
        wanted = {"#s": item.state} | ({"#r": item.reason} if item.reason else {})
        try:
            found = self.dynamodb.get_item(
                TableName=self.table,
                Key={"pk": {"S": item.prefix + concern}},
                ProjectionExpression=", ".join(wanted),
                ExpressionAttributeNames=wanted,
            ).get("Item", {})
        except Exception as err:  # botocore's errors name the reason; the listing stands without the ledger
            self.problem = f"{type(err).__name__}: {scrub(str(err))}"
            return letter
        reason = found.get(item.reason, {}).get("S") if item.reason else None
        state = found.get(item.state, {}).get("S")
        # The worker's own rejection reason, when it moved the message itself, says most.
        return replace(letter, last_error=letter.last_error or (scrub(reason) if reason else None), ledger_state=state)


# -------------------------------------------------------------------------------------------------- look


@dataclass(frozen=True)
class Listing:
    queue: DeadLetterQueue
    visible: int
    in_flight: int
    letters: list[DeadLetter]
    capped: bool  # stopped at MAX_LISTED

    @property
    def depth(self) -> int:
        return self.visible + self.in_flight

    @property
    def unlisted(self) -> int:
        """Held back from the listing: past the cap, in flight, or behind an earlier message of their FIFO group."""
        return max(self.depth - len(self.letters), 0)

    def as_json(self) -> dict[str, Any]:
        return {
            "queue": self.queue.name,
            "url": self.queue.url,
            "fifo": self.queue.fifo,
            "depth": self.depth,
            "in_flight": self.in_flight,
            "listed": len(self.letters),
            "capped": self.capped,
            "unlisted": self.unlisted,
            "messages": [letter.as_json() for letter in self.letters],
        }


def look(sqs: Any, queue: DeadLetterQueue, *, ledger: LedgerReasons | None = None, limit: int = MAX_LISTED) -> Listing:
    """The queue's depth and up to ``limit`` of its messages, every one left in the queue."""
    visible, in_flight = depth(sqs, queue.url)
    seen: dict[str, dict[str, Any]] = {}
    held: dict[str, str] = {}
    try:
        while visible and len(seen) < min(visible, limit):
            page = _receive(sqs, queue.url, hold=PEEK_HOLD_S, count=min(10, limit - len(seen)))
            # Standard SQS may deliver a message twice; the newest receipt handle is the one that releases it.
            held |= {message["MessageId"]: message["ReceiptHandle"] for message in page}
            new = [message for message in page if message["MessageId"] not in seen]
            if not new:
                break
            seen |= {message["MessageId"]: message for message in new}
    finally:
        release(sqs, queue.url, held.values())
    letters = [read_message(message) for message in seen.values()]
    if ledger is not None:
        letters = [ledger.add_to(queue, letter) for letter in letters]
    return Listing(queue, visible, in_flight, letters, capped=len(seen) >= limit and visible > limit)


def listing_document(listings: Sequence[Listing], ledger: LedgerReasons) -> dict[str, Any]:
    """What ``shipsync dlq --json`` prints and ``GET /admin/dlq`` answers."""
    return {
        "ok": not any(listing.depth for listing in listings),
        "queues": [listing.as_json() for listing in listings],
        "ledger": f"not read: {ledger.problem}" if ledger.problem else "read",
    }


def _receive(sqs: Any, url: str, *, hold: int, count: int) -> list[dict[str, Any]]:
    answer = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=count,
        VisibilityTimeout=hold,
        WaitTimeSeconds=RECEIVE_WAIT_S,
        MessageSystemAttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    return list(answer.get("Messages", []))


def release(sqs: Any, url: str, receipt_handles: Iterable[str]) -> None:
    """Make held messages visible again now. A handle that no longer holds (its message deleted, or received
    again) is left as it is: SQS answers it as a failed entry, not an error."""
    handles = list(receipt_handles)
    for start in range(0, len(handles), 10):
        sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(number), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for number, handle in enumerate(handles[start : start + 10])
            ],
        )


# ------------------------------------------------------------------------------------------------ replay


@dataclass(frozen=True)
class Sent:
    letter: DeadLetter
    new_message_id: str | None  # None: a dry run's "would send"


@dataclass
class Replay:
    queue: DeadLetterQueue
    source_url: str
    applied: bool
    sent: list[Sent] = field(default_factory=list)
    # Kept in the DLQ, with why (a failed send, or a FIFO message behind one of its group that was not sent).
    failed: list[tuple[DeadLetter, str]] = field(default_factory=list)
    # Sent back but not deleted from the DLQ: it shows again, and a second replay sends it again (the workers
    # are idempotent, so that costs a duplicate receive, not a duplicate shipment).
    not_deleted: list[DeadLetter] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    stopped: str | None = None  # why it ended before all was done: the cap, an SQS error
    # "move_task": SQS moved them (StartMessageMoveTask), counted in ``moved``; "resend": each one in ``sent``.
    method: str = "resend"
    task_handle: str | None = None
    moved: int | None = None

    @property
    def source_name(self) -> str:
        return self.source_url.rstrip("/").rsplit("/", 1)[-1]

    @property
    def ok(self) -> bool:
        return not (self.failed or self.not_deleted or self.not_found or self.stopped)

    def as_json(self) -> dict[str, Any]:
        return {
            "queue": self.queue.name,
            "source": self.source_name,
            "source_url": self.source_url,
            "applied": self.applied,
            "sent": [sent.letter.as_json() | {"new_message_id": sent.new_message_id} for sent in self.sent],
            "failed": [letter.as_json() | {"error": error} for letter, error in self.failed],
            "not_deleted": [letter.message_id for letter in self.not_deleted],
            "not_found": self.not_found,
            "stopped": self.stopped,
            "method": self.method,
            "task_handle": self.task_handle,
            "moved": self.moved,
            "ok": self.ok,
        }


def replay(
    sqs: Any,
    queue: DeadLetterQueue,
    *,
    ids: Collection[str] | None,
    apply: bool,
    limit: int = MAX_REPLAYED,
    move_task: bool = False,
) -> Replay:
    """Send ``ids`` (None: every message) of ``queue`` back to its source queue; without ``apply``, only say which.
    ``move_task``: every message of a standard DLQ goes by SQS's move task (``move_back``)."""
    if apply and move_task and ids is None and not queue.fifo:
        return move_back(sqs, queue)
    source = source_queue(sqs, queue)
    if not apply:
        listing = look(sqs, queue, limit=limit)
        result = Replay(queue, source, applied=False)
        result.sent = [Sent(letter, None) for letter in listing.letters if ids is None or letter.message_id in ids]
        result.not_found = sorted(set(ids or ()) - {letter.message_id for letter in listing.letters})
        if listing.capped:
            result.stopped = f"listed only the first {limit} messages"
        return result
    result = Replay(queue, source, applied=True)
    try:
        _send_back(sqs, queue, source, ids, limit, result)
    except Exception as err:  # an SQS error part way: what was sent so far is still reported
        result.stopped = f"{type(err).__name__}: {scrub(str(err))}"
    return result


def move_back(
    sqs: Any,
    queue: DeadLetterQueue,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Replay:
    """Every message of a standard DLQ moved to its source queue by SQS (``StartMessageMoveTask``), waited for up to
    ``MOVE_TASK_WAIT_S``. SQS runs one move task per queue at a time, so the newest task listed is this one."""
    source = source_queue(sqs, queue)
    result = Replay(queue, source, applied=True, method="move_task")
    try:
        dlq_arn = _arn(sqs, queue.url)
        started = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=_arn(sqs, source))
        result.task_handle = str(started["TaskHandle"])
        deadline = clock() + MOVE_TASK_WAIT_S
        while True:
            [task, *_] = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=1).get("Results") or [{}]
            status = task.get("Status")
            moved = task.get("ApproximateNumberOfMessagesMoved")
            result.moved = int(moved) if moved is not None else None
            if status == "COMPLETED":
                break
            if status in ("FAILED", "CANCELLING", "CANCELLED"):
                reason = scrub(str(task.get("FailureReason") or "no reason given"))
                result.stopped = f"the move task ended {status}: {reason}"
                break
            if clock() >= deadline:
                result.stopped = (
                    f"the move task is still {status or 'not listed'} after {MOVE_TASK_WAIT_S:.0f} s; SQS goes on "
                    "with it: run `dlq` later"
                )
                break
            sleep(MOVE_TASK_POLL_S)
    except Exception as err:  # one already running, no access: said, and the DLQ is as it was or moving
        result.stopped = f"{type(err).__name__}: {scrub(str(err))}"
    return result


def _arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def _send_back(
    sqs: Any, queue: DeadLetterQueue, source: str, ids: Collection[str] | None, limit: int, result: Replay
) -> None:
    wanted = set(ids) if ids is not None else None
    # With --all, what was there when it started: a message that fails again and comes back meanwhile waits for
    # the next replay (a malformed one is moved back by its worker at once, and would otherwise go round forever).
    budget = min(depth(sqs, queue.url)[0], limit) if wanted is None else limit
    done: set[str] = set()
    ours: set[str] = set()  # the ids of what we sent: redrive keeps a message's id
    held: dict[str, str] = {}
    stopped_groups: set[str] = set()
    try:
        while len(result.sent) < budget and (wanted is None or wanted - done):
            page = _receive(sqs, queue.url, hold=REPLAY_HOLD_S, count=10)
            known = held.keys() | done | ours
            if all(message["MessageId"] in known for message in page):
                break  # nothing new: the rest is in flight, held by this run, or behind its FIFO group
            for message in page:
                message_id, handle = message["MessageId"], message["ReceiptHandle"]
                chosen = wanted is None or message_id in wanted
                if not chosen or message_id in done or message_id in ours or len(result.sent) >= budget:
                    held[message_id] = handle
                    continue
                held.pop(message_id, None)
                letter = read_message(message)
                if letter.group is not None and letter.group in stopped_groups:
                    # Sent after the one that could not be, it would overtake it in its group.
                    result.failed.append((letter, "kept: an earlier message of its group was not sent"))
                    held[message_id] = handle
                    done.add(message_id)
                    continue
                try:
                    new_id = _resend(sqs, source, message)
                except Exception as err:  # this message stays in the DLQ; the others still go
                    result.failed.append((letter, f"{type(err).__name__}: {scrub(str(err))}"))
                    held[message_id] = handle
                    done.add(message_id)
                    if letter.group is not None:
                        stopped_groups.add(letter.group)
                    continue
                done.add(message_id)
                ours.add(new_id)
                result.sent.append(Sent(letter, new_id))
                try:
                    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=handle)
                except Exception:  # sent already: it shows again, and the workers are idempotent
                    result.not_deleted.append(letter)
        if wanted is None and len(result.sent) >= limit:
            result.stopped = f"sent back the cap of {limit} messages: run it again for the rest"
    finally:
        release(sqs, queue.url, held.values())
    if wanted is not None:
        result.not_found = sorted(wanted - done)


def _resend(sqs: Any, source: str, message: Mapping[str, Any]) -> str:
    extra: dict[str, Any] = {}
    attributes = {
        name: {key: value[key] for key in ("DataType", "StringValue", "BinaryValue") if key in value}
        for name, value in (message.get("MessageAttributes") or {}).items()
    }
    if attributes:
        extra["MessageAttributes"] = attributes
    if source.endswith(".fifo"):
        group = message.get("Attributes", {}).get("MessageGroupId")
        if not group:
            raise QueueError("a FIFO message without a message group")
        # A new deduplication id, every time: the message's own (often its body's hash) may still be inside the
        # source queue's five-minute window, where SQS would accept the send and drop it, and the delete would
        # then lose the only copy. One id per send, not per message: a message replayed, dead-lettered again and
        # replayed within five minutes keeps its message id.
        extra |= {"MessageGroupId": group, "MessageDeduplicationId": uuid.uuid4().hex}
    answer = sqs.send_message(QueueUrl=source, MessageBody=message["Body"], **extra)
    return str(answer["MessageId"])
