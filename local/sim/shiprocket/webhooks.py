"""The status webhook: its body, the options that disorder it, and the POST (docs/providers/shiprocket.md §7)."""

from __future__ import annotations

import copy
import json
import re
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

from local.sim.shiprocket.state import DEFAULT_CHANNEL_ID, SimState, _Order
from local.sim.shiprocket.values import _number, _sr_datetime

WEBHOOK_TIMEOUT_S = 10.0
WEBHOOK_OPTION_KEYS = ("duplicates", "reorder", "na_scans", "string_ids", "sparse")
# Keys a live post may leave out (docs/providers/shiprocket.md §7): an RTO-initiated post always does, others
# with the ``sparse`` option's probability.
SPARSE_WEBHOOK_KEYS = (
    "awb_assigned_date",
    "pickup_scheduled_date",
    "pod_status",
    "pod",
    "qc_image",
    "qc_failure_reason",
)
RTO_INITIATED_STATUS = 9
# Ids that the `string_ids` option sends as strings.
_WEBHOOK_ID_FIELDS = ("current_status_id", "shipment_status_id", "sr_order_id", "is_return", "channel_id")
# The panel refuses webhook URLs containing these (docs/providers/shiprocket.md §7; substring match, the strict
# reading).
WEBHOOK_URL_FORBIDDEN = ("shiprocket", "kartrocket", "sr", "kr")


def _chance(value: Any, name: str) -> float:
    if value is None or isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float) and 0 <= value <= 1:
        return float(value)
    raise ValueError(f"webhook option {name} is a boolean or a probability between 0 and 1")


def _check_webhook_url(url: Any) -> str:
    if not isinstance(url, str) or not re.match(r"https?://", url):
        raise ValueError("webhook url must be an http(s) URL")
    lowered = url.lower()
    if any(word in lowered for word in WEBHOOK_URL_FORBIDDEN):
        raise ValueError("webhook url must not contain shiprocket, kartrocket, sr or kr (panel validation)")
    return url


def _post_webhook(url: str, token: str | None, payload: dict[str, Any]) -> tuple[int | None, str | None]:
    """POST like Shiprocket does: JSON, the panel token in ``x-api-key``. (HTTP status, error).

    GUESS: once, with a 10 s timeout and no retry; Shiprocket publishes no retry policy."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["x-api-key"] = token
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as answer:
            return int(answer.status), None
    except urllib.error.HTTPError as refused:
        return int(refused.code), None
    except (OSError, ValueError) as failed:
        return None, f"{type(failed).__name__}: {failed}"


class WebhooksMixin(SimState):
    """Webhook bodies and their posting order; ``advance`` posts them."""

    @staticmethod
    def _check_options(options: Any) -> dict[str, Any]:
        if not isinstance(options, dict):
            raise TypeError("webhook options are a JSON object")
        unknown = sorted(set(options) - set(WEBHOOK_OPTION_KEYS))
        if unknown:
            raise ValueError(f"unknown webhook options {unknown}; known: {', '.join(WEBHOOK_OPTION_KEYS)}")
        for name, value in options.items():
            count = name == "duplicates" and isinstance(value, int) and not isinstance(value, bool) and value >= 0
            if not count:
                _chance(value, name)
        return dict(options)

    def _webhook_payload(self, order: _Order, when: datetime, *, sparse: bool = False) -> dict[str, Any]:
        """Shiprocket's status webhook body, keys in the order of the collection's sample.

        An RTO-initiated post is shaped as the live one reported in docs/providers/shiprocket.md §7: no scan
        carries the RTO status, and the optional keys are left out."""
        status_name, status_id = order.shipment_status or ("NA", 0)
        delivered = status_id == 7
        channel = _number(order.request.get("channel_id"))
        rto_initiated = status_id == RTO_INITIATED_STATUS
        scans = [scan for scan in order.scans if not (rto_initiated and scan["sr-status"] == str(status_id))]
        payload = {
            "awb": order.awb_code,
            "courier_name": (order.courier or {}).get("courier_name", ""),
            "current_status": order.status[0],
            "current_status_id": order.status[1],
            "shipment_status": status_name,
            "shipment_status_id": status_id,
            "current_timestamp": when.strftime("%d %m %Y %H:%M:%S"),
            "order_id": order.order_id,
            "sr_order_id": order.sr_order_id,
            "awb_assigned_date": _sr_datetime(order.assigned_at) if order.assigned_at else "",
            "pickup_scheduled_date": order.pickup_scheduled_date or "",
            "etd": self._etd(order),
            "scans": copy.deepcopy(scans),
            "is_return": int(order.is_return),
            "channel_id": int(channel) if channel else DEFAULT_CHANNEL_ID,
            "pod_status": "" if order.is_return else "OTP Based Delivery",
            "pod": "Available" if delivered else "Not Available",
            "qc_image": "",
            "qc_failure_reason": "",
        }
        if rto_initiated or sparse:
            for key in SPARSE_WEBHOOK_KEYS:
                del payload[key]
        return payload

    def _arrange(
        self, groups: list[list[dict[str, Any]]], options: dict[str, Any]
    ) -> list[tuple[dict[str, Any], bool]]:
        """Posting order after the reorder, string-id and duplicate options: [(payload, is duplicate)]."""
        reorder = _chance(options.get("reorder"), "reorder")
        posts: list[dict[str, Any]] = []
        for group in groups:
            shuffled = list(group)
            if len(shuffled) > 1 and reorder and self.track_rng.random() < reorder:
                self.track_rng.shuffle(shuffled)
                if all(a is b for a, b in zip(shuffled, group, strict=True)):
                    shuffled.reverse()
            posts.extend(shuffled)
        as_strings = _chance(options.get("string_ids"), "string_ids")
        for index, payload in enumerate(posts):
            if as_strings and self.track_rng.random() < as_strings:
                posts[index] = {k: str(v) if k in _WEBHOOK_ID_FIELDS else v for k, v in payload.items()}
        arranged = [(payload, False) for payload in posts]
        duplicates = options.get("duplicates")
        if isinstance(duplicates, int) and not isinstance(duplicates, bool):
            picks = self.track_rng.sample(range(len(posts)), min(duplicates, len(posts)))
        else:
            chance = _chance(duplicates, "duplicates")
            picks = [index for index in range(len(posts)) if chance and self.track_rng.random() < chance]
        # From the back, so the positions of earlier originals stay put; a copy always follows its original.
        for index in sorted(picks, reverse=True):
            arranged.insert(self.track_rng.randint(index + 1, len(arranged)), (copy.deepcopy(posts[index]), True))
        return arranged
