"""The one error model of shipsync.

Every failure a client or the domain can raise is one of these classes, so what happens next
(retry, refresh the token, give up and mark the order, dead-letter) is decided by type, in one
place: the table of ``shipsync.policy.outcomes``, never by parsing messages.
"""

from __future__ import annotations


class ShipsyncError(Exception):
    """Base class of every error raised on purpose by shipsync."""


# --- retry later: the message goes back to its queue (then the DLQ + alarm) -------------


class TransientError(ShipsyncError):
    """A dependency is down, slow or rate limiting us: retry the message later."""


class TokenRejected(TransientError):
    """A provider rejected our token (HTTP 401). A refresh is requested, then the work retries."""

    def __init__(self, provider: str, version: int | None, message: str = "token rejected") -> None:
        super().__init__(f"{provider}: {message} (token version {version})")
        self.provider = provider
        self.version = version


class TokenMissing(TransientError):
    """No token has been minted yet; token-refresh has been asked for one."""

    def __init__(self, provider: str) -> None:
        super().__init__(f"{provider}: no access token in the token store yet")
        self.provider = provider


class RateLimited(TransientError):
    """Per-minute or concurrency limit (Zoho codes 44 / 1070, Shiprocket 429)."""


class DailyCapReached(TransientError):
    """Zoho daily API cap (code 45): stop calling for the day and page ops. ``resets_at`` (epoch seconds) is when
    the organisation's count resets, where the answer said (``X-Rate-Limit-Reset``); the work waits until then."""

    def __init__(self, message: str, resets_at: float | None = None) -> None:
        super().__init__(message)
        self.resets_at = resets_at


class BusyElsewhere(TransientError):
    """Another worker holds the ledger lock for this sales order (concurrent duplicate)."""


# --- do not retry: the input or the account needs a human --------------------------------


class PermanentError(ShipsyncError):
    """Retrying cannot help; the order is marked and ops are alerted."""


class MessageTooLarge(PermanentError):
    """A message over SQS's size limit: sending it can never succeed, so it is refused before the send."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the queue message would be {size} bytes; SQS takes at most {limit}")
        self.size = size
        self.limit = limit


class MalformedMessage(PermanentError):
    """A queue message that is not its feature's message model: dead-lettered on its first receive."""

    def __init__(self, model: str, fields: list[str]) -> None:
        super().__init__(f"not a {model}: bad fields {', '.join(fields)}")
        self.model = model
        self.fields = fields


class NotConfigured(ShipsyncError):
    """A feature asked for settings the deployment does not have: answered 503 until ops set them."""


class InvalidOrder(PermanentError):
    """The sales order cannot become a shipment as it stands (bad phone, pincode, no items...)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class EwayBillRequired(PermanentError):
    """The order's value needs an e-way bill (GST rules: above ₹50,000 by default) and the sales order has none:
    it is held, not sent, until the seller adds the number and confirms again."""

    def __init__(self, value: float, threshold: float, field: str) -> None:
        super().__init__(
            f"the order is worth ₹{value:,.2f} (₹{threshold:,.0f} or more needs an e-way bill) and {field} is empty: "
            f"add the e-way bill number in {field}"
        )


class NoPickupLocation(PermanentError):
    """The order's Zoho location (warehouse) has no Shiprocket pickup location mapped: held, nothing sent."""


class NotServiceable(PermanentError):
    """No courier serves this pickup -> delivery pincode pair for this payment method."""


class AwbRefused(ShipsyncError):
    """One courier refused the AWB; the caller falls back to the next courier."""

    def __init__(self, courier_id: int | None, courier_name: str, reason: str) -> None:
        super().__init__(f"{courier_name} ({courier_id}) refused the AWB: {reason}")
        self.courier_id = courier_id
        self.courier_name = courier_name
        self.reason = reason


class AwbAlreadyAssigned(ShipsyncError):
    """A retried AWB assignment: Shiprocket says this shipment already has an AWB (an earlier call whose
    answer was lost). Not a refusal: the caller reads the AWB back from the order and carries on."""

    def __init__(self, shipment_id: int, message: str) -> None:
        super().__init__(f"shipment {shipment_id}: {message}")
        self.shipment_id = shipment_id


class AllCouriersRefused(PermanentError):
    """Every serviceable courier refused the AWB."""

    def __init__(self, refusals: list[AwbRefused]) -> None:
        names = "; ".join(str(r) for r in refusals) or "no courier left to try"
        super().__init__(f"every courier refused the AWB: {names}")
        self.refusals = refusals


class CancelRefused(PermanentError):
    """A cancellation that cannot be carried out as asked (the parcel was delivered, or Shiprocket refused it):
    ops are paged with why and what to do instead; nothing is cancelled."""


class OrderBeingShipped(TransientError):
    """A cancellation met a shipping job still under way: it waits for the job to end rather than race it."""


class WalletTooLow(TransientError):
    """Shiprocket ``status_code: 350``: the wallet must be recharged; alert and retry later."""


class ProviderRequestError(PermanentError):
    """The provider rejected our request (400/404/422 or an error inside HTTP 200)."""

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        http_status: int | None = None,
        code: int | None = None,
        field_errors: dict[str, list[str]] | None = None,
    ) -> None:
        detail = f" {field_errors}" if field_errors else ""
        super().__init__(f"{provider}: {message}{detail}")
        self.provider = provider
        self.message = message
        self.http_status = http_status
        self.code = code
        self.field_errors = field_errors or {}


class RecordMissing(ProviderRequestError):
    """The provider says the record we asked for does not exist (Zoho code 1002 "... does not exist.",
    Shiprocket "Order ID not found" / "Order does not exist!"). A feature that meets it for the record its
    message names raises ``NamedRecordMissing``; anywhere else it is a refusal like any other."""


class NamedRecordMissing(PermanentError):
    """The record a queued message names (its sales order, invoice...) does not exist at the provider. No retry
    can make it exist and there is nothing in Zoho to mark: the message is dead-lettered on its first receive and
    ops are paged with the record's name."""

    def __init__(self, what: str, record_id: str, cause: ProviderRequestError) -> None:
        super().__init__(f"{what} {record_id} does not exist ({cause.provider}: {cause.message})")
        self.what = what
        self.record_id = record_id


class PickupAddressRejected(ProviderRequestError):
    """Shiprocket refused a pickup address because its first line has no house / flat / road number
    (docs/providers/shiprocket.md §15): the seller fixes the warehouse address, nothing else will do."""


class OrderIdTaken(ProviderRequestError):
    """Shiprocket refused a create because our ``order_id`` already names an order (422)."""
