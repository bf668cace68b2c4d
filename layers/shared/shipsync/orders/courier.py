"""Courier choice: a data-driven rule table ranks Shiprocket's serviceable couriers.

The table (``courier_rules.json`` beside this module, or the seller's override from an SSM
parameter / ``COURIER_RULES_JSON`` parsed by ``CourierRules.from_json``) holds:

- ``rules``: checked in order, the **first** whose ``when`` matches the order applies. Its
  ``prefer`` entries are courier-name fragments (case, spaces and punctuation ignored, so
  "blue dart" matches "Bluedart Surface"). Put narrower rules first: the heavy-parcel rule
  precedes the payment rules so a 6 kg COD order still goes to a heavy-parcel courier.
- ``weights``: how much cost, ETA and (COD only) RTO performance count in the score.
- ``exclude``: courier-name fragments never used.
- ``parcel``: the largest box one Shiprocket order may be (chargeable kg, longest side in cm); an order
  beyond it ships as several parcels (``orders.parcels``).
- ``history`` (optional): the seller's own record per courier, as the margin report prints it:
  ``{"Delhivery Surface": {"shipments": 140, "rto_rate": 0.18, "rto_cost": 124.44}}``, keyed by a
  courier-name fragment (matched like ``prefer``; the longest matching fragment wins). A record
  drawn from fewer than ``history_min_shipments`` shipments (default 20) is ignored, as if absent.

Ranking: couriers Shiprocket blocked, excluded ones and, for COD, couriers without COD are
dropped. The rest are ordered preferred-first; the preferred couriers are equals (the policy
says "Delhivery *or* Ecom Express"), so within each group the score decides: a weighted sum of
rate, ETA and RTO performance, each min-max normalised over the eligible couriers (0 = best,
missing data = worst). Ties go to the lower ``courier_company_id``, so the ranking is fully
deterministic. The service walks the ranking and falls back to the next courier on an AWB
refusal.

A courier with a trusted history record is compared on its expected cost, ``rate + rto_rate x
rto_cost``, for every order (a prepaid RTO is billed freight both ways too), and for COD its own
``rto_rate`` stands in for Shiprocket's ``rto_performance``. That is a score out of 5, higher is
better, like ``rating`` beside it (5 and 4.4 in Shiprocket's published example); Shiprocket does not
publish how it is drawn, so the rate is put on that scale linearly, ``5 x (1 - rto_rate)``.
Couriers without a trusted record keep their quoted rate and Shiprocket's score.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shipsync.domain.india import is_tier1_city
from shipsync.domain.models import CourierQuote, PaymentMethod, ShiprocketOrder

__all__ = [
    "VOLUMETRIC_DIVISOR",
    "CourierHistory",
    "CourierRule",
    "CourierRules",
    "HistoryMatch",
    "OrderFacts",
    "RankedQuote",
    "Ranking",
    "RuleConditions",
    "ScoreWeights",
    "chargeable_weight_kg",
    "is_tier1_city",
    "order_facts",
]

# Indian couriers bill volumetric weight as L x B x H (cm) / 5000.
VOLUMETRIC_DIVISOR = 5000.0

# The top of Shiprocket's rto_performance score: a courier whose shipments never come back.
RTO_PERFORMANCE_SCALE = 5.0


def _compact(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def chargeable_weight_kg(order: ShiprocketOrder) -> float:
    """What the courier bills on: the larger of dead and volumetric weight."""
    return max(order.weight, order.length * order.breadth * order.height / VOLUMETRIC_DIVISOR)


@dataclass(frozen=True)
class OrderFacts:
    """The order attributes rule conditions test."""

    payment: PaymentMethod
    tier1: bool
    order_value: float
    weight_kg: float

    def describe(self) -> str:
        tier = "tier-1" if self.tier1 else "tier-2/3"
        return f"{self.payment}, {tier}, value {self.order_value:.2f}, chargeable {self.weight_kg:.3f} kg"


def order_facts(order: ShiprocketOrder) -> OrderFacts:
    return OrderFacts(
        payment=order.payment_method,
        tier1=is_tier1_city(order.delivery_city, order.delivery_postcode),
        order_value=order.sub_total,
        weight_kg=chargeable_weight_kg(order),
    )


# --------------------------------------------------------------------------- the table


class _Strict(BaseModel):
    # Unknown keys are errors: a typo such as "paymnt" must not silently widen a rule.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_range(low: float | None, high: float | None, what: str) -> None:
    if low is not None and high is not None and low >= high:
        raise ValueError(f"{what}_above ({low}) must be below {what}_at_most ({high})")


class RuleConditions(_Strict):
    """All given conditions must hold. Ranges are half-open: above < x <= at_most."""

    payment: PaymentMethod | None = None
    city_tier: Literal["tier1", "other"] | None = None
    order_value_above: float | None = Field(default=None, ge=0)
    order_value_at_most: float | None = Field(default=None, ge=0)
    weight_kg_above: float | None = Field(default=None, ge=0)
    weight_kg_at_most: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        _check_range(self.order_value_above, self.order_value_at_most, "order_value")
        _check_range(self.weight_kg_above, self.weight_kg_at_most, "weight_kg")
        return self

    def matches(self, facts: OrderFacts) -> bool:
        checks = (
            self.payment is None or self.payment == facts.payment,
            self.city_tier is None or (self.city_tier == "tier1") == facts.tier1,
            self.order_value_above is None or facts.order_value > self.order_value_above,
            self.order_value_at_most is None or facts.order_value <= self.order_value_at_most,
            self.weight_kg_above is None or facts.weight_kg > self.weight_kg_above,
            self.weight_kg_at_most is None or facts.weight_kg <= self.weight_kg_at_most,
        )
        return all(checks)


def _check_fragments(values: list[str]) -> list[str]:
    for value in values:
        if not _compact(value):
            raise ValueError(f"courier name fragment {value!r} has no letters or digits")
    return values


class CourierRule(_Strict):
    name: str = Field(min_length=1)
    when: RuleConditions = Field(default_factory=RuleConditions)
    prefer: list[str] = Field(min_length=1)

    @field_validator("prefer")
    @classmethod
    def _prefer_fragments(cls, values: list[str]) -> list[str]:
        return _check_fragments(values)

    def prefers(self, quote: CourierQuote) -> bool:
        name = _compact(quote.courier_name)
        return any(_compact(fragment) in name for fragment in self.prefer)


class CourierHistory(_Strict):
    """The seller's own record of one courier (the margin report's per-courier figures)."""

    shipments: int = Field(ge=1)
    rto_rate: float = Field(ge=0, le=1, allow_inf_nan=False)
    # Rupees: the average total cost of one shipment that came back (forward freight, COD fee, RTO freight,
    # adjustments).
    rto_cost: float = Field(ge=0, allow_inf_nan=False)

    def expected_cost(self, rate: float) -> float:
        return rate + self.rto_rate * self.rto_cost

    def rto_performance(self) -> float:
        return RTO_PERFORMANCE_SCALE * (1.0 - self.rto_rate)


@dataclass(frozen=True)
class HistoryMatch:
    """The history record a courier was ranked on, and the table key that matched it."""

    key: str
    record: CourierHistory


class ScoreWeights(_Strict):
    cost: float = Field(default=0.5, ge=0)
    eta: float = Field(default=0.3, ge=0)
    rto: float = Field(default=0.2, ge=0)

    @model_validator(mode="after")
    def _some_weight(self) -> Self:
        if self.cost + self.eta + self.rto <= 0:
            raise ValueError("at least one of cost, eta, rto must be positive")
        return self


@dataclass(frozen=True)
class RankedQuote:
    quote: CourierQuote
    preferred: bool
    score: float  # 0 = best on every measure
    history: HistoryMatch | None = None

    def inputs(self) -> str:
        q = self.quote
        eta = _eta_hours(q)
        eta_text = f"eta {'?' if eta is None else f'{eta:g}'} h"
        if self.history is None:
            return f"rate {q.rate:.2f}, {eta_text}, rto {q.rto_performance}"
        h = self.history.record
        return (
            f"expected cost {h.expected_cost(q.rate):.2f} = {q.rate:.2f} + {h.rto_rate:.4g} \N{MULTIPLICATION SIGN} "
            f"{h.rto_cost:.2f} over {h.shipments} shipments (history {self.history.key!r}), {eta_text}, "
            f"rto {h.rto_performance():.2f} from its own rto_rate"
        )


@dataclass(frozen=True)
class Ranking:
    facts: OrderFacts
    rule: str | None
    ranked: list[RankedQuote]
    dropped: list[tuple[CourierQuote, str]]

    @property
    def quotes(self) -> list[CourierQuote]:
        return [r.quote for r in self.ranked]

    def explain(self) -> list[str]:
        """One log line per courier: why it ranked where it did, or why it was dropped."""
        lines = [f"order {self.facts.describe()}; rule: {self.rule or 'none matched'}"]
        for position, r in enumerate(self.ranked, start=1):
            q = r.quote
            why = f"preferred by {self.rule}" if r.preferred else "not preferred"
            lines.append(
                f"{position}. {q.courier_name} (#{q.courier_company_id}): {why}; score {r.score:.3f} ({r.inputs()})"
            )
        lines.extend(f"dropped {q.courier_name} (#{q.courier_company_id}): {reason}" for q, reason in self.dropped)
        return lines


def _eta_hours(quote: CourierQuote) -> float | None:
    if quote.etd_hours is not None and quote.etd_hours > 0:
        return quote.etd_hours
    if quote.estimated_delivery_days is not None and quote.estimated_delivery_days > 0:
        return quote.estimated_delivery_days * 24.0
    return None


def _badness(values: Sequence[float | None], *, higher_is_better: bool) -> list[float]:
    """Min-max normalise to 0 (best) .. 1 (worst); a missing value counts as worst."""
    present = [v for v in values if v is not None]
    if not present:
        return [0.0] * len(values)
    low, high = min(present), max(present)
    span = high - low
    result = []
    for v in values:
        if v is None:
            result.append(1.0)
        elif span == 0:
            result.append(0.0)
        else:
            result.append((high - v) / span if higher_is_better else (v - low) / span)
    return result


class ParcelLimit(_Strict):
    """The box limit: 30 kg chargeable and a 120 cm side by default, under the single-piece limits couriers commonly
    take on Shiprocket's surface services (no limit is published per courier: docs/providers/shiprocket.md §3)."""

    max_weight_kg: float = Field(default=30.0, gt=0)
    max_side_cm: float = Field(default=120.0, gt=0)


class CourierRules(_Strict):
    version: Literal[1] = 1
    weights: ScoreWeights = Field(default_factory=ScoreWeights)
    exclude: list[str] = Field(default_factory=list)
    parcel: ParcelLimit = Field(default_factory=ParcelLimit)
    rules: list[CourierRule] = Field(default_factory=list)
    history: dict[str, CourierHistory] = Field(default_factory=dict)
    history_min_shipments: int = Field(default=20, ge=1)

    @field_validator("exclude")
    @classmethod
    def _exclude_fragments(cls, values: list[str]) -> list[str]:
        return _check_fragments(values)

    @field_validator("history")
    @classmethod
    def _history_fragments(cls, values: dict[str, CourierHistory]) -> dict[str, CourierHistory]:
        _check_fragments(list(values))
        # Two keys that compact alike ("Ekart", "e-kart") would leave the record that applies to the order
        # the keys happen to be written in.
        seen: dict[str, str] = {}
        for key in values:
            other = seen.setdefault(_compact(key), key)
            if other != key:
                raise ValueError(f"history keys {other!r} and {key!r} name the same courier")
        return values

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        names = [rule.name for rule in self.rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique, repeated: {', '.join(duplicates)}")
        return self

    @classmethod
    def default(cls) -> CourierRules:
        """The table packaged with the layer (``courier_rules.json``)."""
        return _packaged_rules()

    @classmethod
    def from_json(cls, text: str) -> CourierRules:
        """Parse and validate a table; ValueError naming every problem when it is unusable."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or 'table'}: {error['msg']}" for error in exc.errors()
            )
            raise ValueError(f"invalid courier rules table: {problems}") from None

    def applicable_rule(self, facts: OrderFacts) -> CourierRule | None:
        return next((rule for rule in self.rules if rule.when.matches(facts)), None)

    def history_for(self, courier_name: str) -> HistoryMatch | None:
        """The trusted record with the longest matching fragment (equal lengths: alphabetical first)."""
        name = _compact(courier_name)
        matches = [
            (_compact(key), key, record)
            for key, record in self.history.items()
            if record.shipments >= self.history_min_shipments and _compact(key) in name
        ]
        if not matches:
            return None
        _, key, record = min(matches, key=lambda match: (-len(match[0]), match[0]))
        return HistoryMatch(key=key, record=record)

    def choose(self, quotes: Sequence[CourierQuote], order: ShiprocketOrder) -> Ranking:
        facts = order_facts(order)
        rule = self.applicable_rule(facts)
        excluded = [_compact(fragment) for fragment in self.exclude]
        eligible: list[CourierQuote] = []
        dropped: list[tuple[CourierQuote, str]] = []
        for quote in quotes:
            if quote.blocked:
                dropped.append((quote, "blocked by Shiprocket"))
            elif any(fragment in _compact(quote.courier_name) for fragment in excluded):
                dropped.append((quote, "excluded by the courier rules"))
            elif facts.payment == "COD" and not quote.cod:
                dropped.append((quote, "does not accept COD"))
            else:
                eligible.append(quote)

        history = [self.history_for(q.courier_name) for q in eligible]
        cost = _badness(
            [q.rate if h is None else h.record.expected_cost(q.rate) for q, h in zip(eligible, history, strict=True)],
            higher_is_better=False,
        )
        eta = _badness([_eta_hours(q) for q in eligible], higher_is_better=False)
        rto = _badness(
            [
                q.rto_performance if h is None else h.record.rto_performance()
                for q, h in zip(eligible, history, strict=True)
            ],
            higher_is_better=True,
        )
        rto_weight = self.weights.rto if facts.payment == "COD" else 0.0
        ranked = [
            RankedQuote(
                quote=q,
                preferred=rule is not None and rule.prefers(q),
                score=self.weights.cost * c + self.weights.eta * e + rto_weight * r,
                history=h,
            )
            for q, h, c, e, r in zip(eligible, history, cost, eta, rto, strict=True)
        ]
        ranked.sort(
            key=lambda r: (not r.preferred, r.score, r.quote.courier_company_id, r.quote.courier_name, r.quote.rate)
        )
        dropped.sort(key=lambda item: item[0].courier_company_id)
        return Ranking(facts=facts, rule=rule.name if rule else None, ranked=ranked, dropped=dropped)

    def rank(self, quotes: Sequence[CourierQuote], order: ShiprocketOrder) -> list[CourierQuote]:
        """Eligible couriers, best first: the order in which to try assigning the AWB."""
        return self.choose(quotes, order).quotes

    def explain(self, quotes: Sequence[CourierQuote], order: ShiprocketOrder) -> list[str]:
        return self.choose(quotes, order).explain()


@functools.cache
def _packaged_rules() -> CourierRules:
    text = resources.files("shipsync.orders").joinpath("courier_rules.json").read_text(encoding="utf-8")
    return CourierRules.from_json(text)
