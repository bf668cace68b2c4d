"""What happens when work fails: one table from error type to action, applied in one place.

Services raise; they never catch a provider error to decide between retrying and stopping. The
entry points (``QueueWorker`` for every SQS worker, ``OutcomePolicy.run_schedule`` for every
schedule, the route error handlers of ``routes``) look the error up here:

    error (first match wins)       action                   what happens
    MalformedMessage,              DEAD_LETTER              the message is copied to its queue's DLQ now,
    NamedRecordMissing                                      ops are paged, the message is acknowledged
    TokenRejected                  REFRESH_TOKEN_AND_RETRY  the token is dropped from the cache, token-refresh
                                                            is asked for a new one, the work retries
    DailyCapReached                WAIT_FOR_RESET           ops are paged once a Zoho day; a queued message
                                                            waits invisible in its queue until Zoho's count
                                                            resets, then drains at the per-minute rate
    WalletTooLow                   PAGE_AND_RETRY           ops are paged (the account needs a human), the work
                                                            retries; if it lasts: DLQ + alarm
    TransientError                 RETRY                    the work retries; if it lasts: DLQ + alarm
    PermanentError                 GIVE_UP                  the feature's mark on the sales order in Zoho,
                                                            its ledger record, a page naming the reason;
                                                            the message is acknowledged
    anything else                  RETRY                    an AWS error or a bug: retries, then DLQ + alarm

A route answers the same table in HTTP: 4xx for GIVE_UP, 503 for the retry actions (after their side
effects), see ``routes.register_error_handlers``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dt_time
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, Generic, Protocol, TypeVar

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from shipsync.domain.india import IST
from shipsync.errors import (
    DailyCapReached,
    MalformedMessage,
    NamedRecordMissing,
    PermanentError,
    TokenRejected,
    TransientError,
    WalletTooLow,
)
from shipsync.ports import Alerts, MetricsSink

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

logger = Logger(child=True)

T = TypeVar("T")
M = TypeVar("M", bound="QueueMessage")


class Action(StrEnum):
    RETRY = "retry"
    REFRESH_TOKEN_AND_RETRY = "refresh the token, retry"  # noqa: S105 - an action, not a password
    PAGE_AND_RETRY = "page ops, retry"
    WAIT_FOR_RESET = "page ops once a day, wait for the reset"
    GIVE_UP = "mark, page, stop"
    DEAD_LETTER = "dead-letter, page"


POLICY: Final[tuple[tuple[type[Exception], Action], ...]] = (
    (MalformedMessage, Action.DEAD_LETTER),
    (NamedRecordMissing, Action.DEAD_LETTER),
    (TokenRejected, Action.REFRESH_TOKEN_AND_RETRY),
    (DailyCapReached, Action.WAIT_FOR_RESET),
    (WalletTooLow, Action.PAGE_AND_RETRY),
    (TransientError, Action.RETRY),
    (PermanentError, Action.GIVE_UP),
)

ACCOUNT_PROBLEM_METRICS: Final[dict[type[Exception], str]] = {
    DailyCapReached: "ZohoDailyCapReached",
    WalletTooLow: "ShiprocketWalletTooLow",
}


# SQS keeps a message invisible at most 12 hours from its receive; a worker runs at most 15 minutes of them.
MAX_HOLD_S: Final = 12 * 3600 - 15 * 60
MIN_HOLD_S: Final = 60
HOLD_SPREAD_S: Final = 600.0


def action_for(err: BaseException) -> Action:
    return next((action for kind, action in POLICY if isinstance(err, kind)), Action.RETRY)


@dataclass(frozen=True)
class Failure(Generic[T]):
    """How a feature gives up on one piece of work: what the policy writes, pages and returns."""

    outcome: T
    metric: str
    subject: str
    message: str
    correlation_id: str
    # The visible mark in Zoho, where a sales order exists (cf_shipment_status).
    mark: Callable[[], None] | None = None
    # The ledger record of the failure, written after the mark so a retried give-up marks again.
    record: Callable[[], None] | None = None
    # False where the feature has paged already, with more than the policy knows (token-refresh pages a mint
    # failure at most once per interval).
    page: bool = True


class Attempt(Protocol[T]):
    """One piece of work (an order to ship, an event to apply...) and how to give up on it."""

    @property
    def correlation_id(self) -> str: ...

    def run(self) -> T: ...

    def give_up(self, err: PermanentError) -> Failure[T]: ...


class QueueMessage(Protocol):
    """A feature's queue message model (``<feature>/messages.py``)."""

    def log_keys(self) -> Mapping[str, str]: ...


def parse_message(model: type[M], body: str) -> M:
    """``body`` as the model, or MalformedMessage naming the fields that did not parse."""
    try:
        return model.model_validate_json(body)  # type: ignore[attr-defined, no-any-return]
    except ValidationError as err:
        fields = sorted({_field(e) for e in err.errors()})
        raise MalformedMessage(model.__name__, fields) from None


def _field(error: Any) -> str:
    """Where a validation error points; a whole-model check names its culprit in its own error's ``field``."""
    path = ".".join(str(part) for part in error["loc"])
    return path or str(getattr(error.get("ctx", {}).get("error"), "field", "body"))


@dataclass
class OutcomePolicy:
    """The table above, with the side effects each action needs."""

    alerts: Alerts
    metrics: MetricsSink
    refresh_token: Callable[[TokenRejected], None]
    # True for the first call with a key (ledger MARK#): an account problem of the whole organisation (Zoho's daily
    # cap) pages once a day, not once per message that meets it. None: every meeting pages.
    mark_once: Callable[[str], bool] | None = None

    def run(self, attempt: Attempt[T]) -> T:
        try:
            return attempt.run()
        except PermanentError as err:
            if action_for(err) is not Action.GIVE_UP:
                raise
            return self._give_up(attempt, err)
        except Exception as err:
            self.before_retry(err, attempt.correlation_id)
            raise

    def before_retry(self, err: Exception, correlation_id: str) -> None:
        """The side effects of a retry action (nothing for a plain retry)."""
        action = action_for(err)
        if action is Action.REFRESH_TOKEN_AND_RETRY:
            assert isinstance(err, TokenRejected)
            self.refresh_token(err)
        elif action is Action.WAIT_FOR_RESET:
            self.metrics.count(ACCOUNT_PROBLEM_METRICS[DailyCapReached])
            self._page_daily_cap(err, correlation_id)
        elif action is Action.PAGE_AND_RETRY:
            metric = ACCOUNT_PROBLEM_METRICS[type(err)]
            self.metrics.count(metric)
            self.alerts.page(f"{metric}: {correlation_id}", str(err), kind=metric, correlation_id=correlation_id)

    def _page_daily_cap(self, err: Exception, correlation_id: str) -> None:
        metric = ACCOUNT_PROBLEM_METRICS[DailyCapReached]
        day = datetime.now(IST).date().isoformat()
        if self.mark_once is not None and not self.mark_once(f"ZOHOCAP#{day}"):
            return
        self.alerts.page(
            f"{metric}: Zoho's daily cap is reached ({day})",
            f"{err}. Every Zoho call is refused until the organisation's day resets. The queued work that meets it "
            "waits in its queue until the reset and then drains at the per-minute rate: nothing needs replaying "
            "unless a message runs out of receives (then: shipsync replay QUEUE --all --yes after the reset). "
            f"First met by {correlation_id}; this page comes once a day.",
            kind=metric,
            correlation_id=day,
        )

    def run_schedule(self, name: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """A scheduled run: retry actions re-raise (the invocation fails: Errors alarm); a permanent
        failure pages and ends the run, since the next schedule would only meet it again."""
        try:
            return work()
        except PermanentError as err:
            if action_for(err) is not Action.GIVE_UP:
                raise
            logger.exception("scheduled run gave up", extra={"schedule": name})
            self.metrics.count("ScheduleFailed")
            self.alerts.page(
                f"Scheduled {name} failed",
                f"The scheduled {name} stopped: {err}. It runs again on its next schedule; "
                "until the cause is fixed it will stop the same way.",
                kind="ScheduleFailed",
                correlation_id=name,
            )
            return {"error": str(err)}
        except Exception as err:
            self.before_retry(err, name)
            raise

    def _give_up(self, attempt: Attempt[T], err: PermanentError) -> T:
        failure = attempt.give_up(err)
        logger.warning("gave up", extra={"metric": failure.metric, "reason": str(err)})
        unmarked = ""
        if failure.mark is not None:
            try:
                failure.mark()
            except PermanentError as mark_err:
                # The page is what matters: it still goes, saying the mark is missing.
                unmarked = f" It could not be marked in Zoho either: {mark_err}."
        if failure.record is not None:
            failure.record()
        if failure.page:
            self.metrics.count(failure.metric)
            self.alerts.page(
                failure.subject, failure.message + unmarked, kind=failure.metric, correlation_id=failure.correlation_id
            )
        return failure.outcome


@dataclass
class QueueWorker(Generic[M]):
    """The record handler of one SQS worker: the message parsed into its feature's model (a message
    that does not parse is dead-lettered on its first receive: retrying cannot fix it), then handled
    (a message whose named record does not exist, ``NamedRecordMissing``, is dead-lettered the same way).

    The model is applied here rather than through ``BatchProcessor(model=...)``: Powertools reports a
    record that fails its model as a batch item failure, so it would be received until its redrive policy gives up.
    """

    queue: str
    model: type[M]
    handle: Callable[[M], object]
    dead_letter: Callable[[SQSRecord, str], None]
    policy: OutcomePolicy
    log: Logger
    # Told of a message that failed on its last receive (SQS moves it to the DLQ next), to say what it leaves undone.
    on_last_failure: Callable[[M, Exception], None] | None = None
    # The queue's maxReceiveCount (CommonSettings.queue_max_receives).
    max_receives: int = 10
    # Keeps a message invisible for so many seconds (ChangeMessageVisibility): work that met Zoho's daily cap
    # waits for the reset instead of spending its receives on refusals. None: it retries as any failure does.
    hold: Callable[[SQSRecord, int], None] | None = None
    clock: Callable[[], float] = time.time
    # Seconds added to each hold, so what waited does not all come back in the reset's first second.
    spread: Callable[[], float] = field(default=lambda: random.uniform(0, HOLD_SPREAD_S))

    def __call__(self, record: SQSRecord) -> object:
        try:
            message = parse_message(self.model, record.body)
        except MalformedMessage as err:
            self._reject(record, err)
            return None
        self.log.append_keys(**message.log_keys())
        try:
            result = self.handle(message)
        except NamedRecordMissing as err:
            self._impossible(record, err)
            return None
        except Exception as err:
            # The batch processor reports the failure to SQS and logs nothing: this line says why it will retry.
            self.log.warning(
                f"{self.queue} message failed, it will be retried",
                extra={
                    **message.log_keys(),
                    "error": type(err).__name__,
                    "reason": str(err)[:300],
                    "message_id": record.message_id,
                    "receive_count": record.attributes.approximate_receive_count,
                },
            )
            if self.on_last_failure is not None and _receives(record) >= self.max_receives:
                self._last_failure(self.on_last_failure, message, err)
            elif isinstance(err, DailyCapReached) and self.hold is not None:
                self._hold_until_reset(record, err)
            raise
        self.log.info(f"{self.queue} message processed", extra={"result": str(result)})
        return result

    def _hold_until_reset(self, record: SQSRecord, err: DailyCapReached) -> None:
        seconds = hold_seconds(err.resets_at, self.clock(), self.spread())
        assert self.hold is not None
        try:
            self.hold(record, seconds)
        except Exception:
            # It retries as any failure does: each retry meets the cap again until the reset.
            self.log.exception(f"{self.queue}: holding a message until Zoho's reset failed")
            return
        self.policy.metrics.count("ZohoWorkHeld")
        self.log.info(
            f"{self.queue} message waits for Zoho's daily reset",
            extra={"message_id": record.message_id, "hold_s": seconds},
        )

    def _reject(self, record: SQSRecord, err: MalformedMessage) -> None:
        self.log.error(
            "malformed message dead-lettered",
            extra={"queue": self.queue, "fields": err.fields, "message_id": record.message_id},
        )
        self.dead_letter(record, str(err))
        self.policy.metrics.count("MalformedMessage")
        self.policy.alerts.page(
            f"{self.queue}: message rejected",
            f"{self.queue} message {record.message_id} is not a {err.model} (bad fields: {', '.join(err.fields)}). "
            f"It was moved to the queue's DLQ unprocessed: fix its producer, then redrive or delete it.",
            kind="MalformedMessage",
            correlation_id=record.message_id,
        )

    def _last_failure(self, notify: Callable[[M, Exception], None], message: M, err: Exception) -> None:
        try:
            notify(message, err)
        except Exception:
            # The message's own error is the one SQS must see: this one is only logged.
            self.log.exception(f"{self.queue}: telling ops about a message's last failure failed")

    def _impossible(self, record: SQSRecord, err: NamedRecordMissing) -> None:
        self.log.error(
            "message names a record that does not exist: dead-lettered",
            extra={"queue": self.queue, "reason": str(err), "message_id": record.message_id},
        )
        self.dead_letter(record, str(err))
        self.policy.metrics.count("NamedRecordMissing")
        self.policy.alerts.page(
            f"{self.queue}: {err.what} {err.record_id} does not exist",
            f"{self.queue} message {record.message_id} names {err.what} {err.record_id}, which does not exist: "
            f"{err}. Retrying cannot help, so it was moved to the queue's DLQ on its first receive. Check who sent "
            "it (a deleted record, a wrong organization, a forged webhook), then delete it or redrive it once the "
            "record exists.",
            kind="NamedRecordMissing",
            correlation_id=err.record_id,
        )


def hold_seconds(resets_at: float | None, now: float, spread: float) -> int:
    """How long work that met Zoho's daily cap stays invisible: until the reset Zoho gave (or, where its answer
    did not, the next midnight in India, docs/providers/zoho.md §4's guess), plus ``spread``; at most SQS's 12
    hours from the receive, less the longest a worker runs. A message held short of a late reset is received
    once more, meets the cap and is held again."""
    if resets_at is None or resets_at <= now:
        local = datetime.fromtimestamp(now, IST)
        resets_at = datetime.combine(local.date() + timedelta(days=1), dt_time(0), IST).timestamp()
    return max(MIN_HOLD_S, min(round(resets_at - now + spread), MAX_HOLD_S))


def _receives(record: SQSRecord) -> int:
    count = record.attributes.approximate_receive_count
    return int(count) if str(count).isdigit() else 1
