"""Courier choice (shipsync.orders.courier) and tier-1 detection (shipsync.domain.india)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipsync.domain.india import state_name, tier1_city
from shipsync.domain.models import CourierQuote, PaymentMethod, ShiprocketOrder, ShiprocketOrderItem
from shipsync.orders.courier import CourierRules, chargeable_weight_kg, is_tier1_city

RULES = CourierRules.default()


def quote(cid: int, name: str, rate: float, **extra: Any) -> CourierQuote:
    return CourierQuote.model_validate({"courier_company_id": cid, "courier_name": name, "rate": rate, **extra})


def order(
    payment: PaymentMethod = "COD",
    *,
    city: str = "Mumbai",
    pincode: str = "400001",
    value: float = 999.0,
    weight: float = 0.5,
    box: tuple[float, float, float] = (10.0, 10.0, 10.0),
) -> ShiprocketOrder:
    return ShiprocketOrder(
        order_id="SO-00042",
        order_date="2024-06-01",
        pickup_location="Pune-WH1",
        billing_customer_name="Ananya",
        billing_address="No. 14, 3rd Cross",
        billing_city=city,
        billing_pincode=pincode,
        billing_state="Somewhere",
        billing_email="a@example.in",
        billing_phone="9845012345",
        order_items=[ShiprocketOrderItem(name="Tee", sku="TEE", units=1, selling_price=value)],
        payment_method=payment,
        sub_total=value,
        length=box[0],
        breadth=box[1],
        height=box[2],
        weight=weight,
    )


# A realistic serviceability answer: cheapest is not what the policy prefers.
MARKET = [
    quote(43, "Delhivery Surface", 72.0, etd_hours=70, rto_performance=4.1),
    quote(44, "Delhivery Air", 110.0, etd_hours=40, rto_performance=4.3),
    quote(48, "Ecom Express Surface", 68.0, etd_hours=80, rto_performance=3.9),
    quote(51, "Ekart Logistics", 55.0, etd_hours=90, rto_performance=3.5),
    quote(54, "DTDC Surface", 60.0, etd_hours=96, rto_performance=3.2),
    quote(33, "Xpressbees Surface", 58.0, etd_hours=85, rto_performance=3.8),
    quote(6, "Blue Dart Air", 140.0, etd_hours=36, rto_performance=4.6),
    quote(12, "Shadowfax Surface", 50.0, etd_hours=100, rto_performance=3.0, cod=0),
]


def names(quotes: list[CourierQuote]) -> list[str]:
    return [q.courier_name for q in quotes]


# --------------------------------------------------------------------------- tier-1


@pytest.mark.parametrize(
    ("city", "pincode", "expected"),
    [
        ("Mumbai", None, True),
        ("BOMBAY", None, True),
        ("New Delhi", None, True),
        ("Bangalore", None, True),
        ("Bengaluru ", None, True),
        ("Hyderabad", None, True),
        ("Secunderabad", None, True),
        ("Chennai", None, True),
        ("Pune", None, True),
        ("Nagpur", "440001", False),
        ("Indore", "452001", False),
        ("Jaipur", None, False),
        (None, "560038", True),  # Bengaluru district, city missing
        ("Bengalooru", "560038", True),  # misspelt city, pincode decides
        (None, "411 001", True),
        (None, None, False),
        ("", "not-a-pin", False),
    ],
)
def test_is_tier1_city(city: str | None, pincode: str | None, expected: bool) -> None:
    assert is_tier1_city(city, pincode) is expected


def test_tier1_city_gives_the_canonical_name() -> None:
    assert tier1_city("madras") == "Chennai"
    assert tier1_city(None, "110001") == "Delhi"


def test_state_name_from_code() -> None:
    assert state_name(None, "ka") == "Karnataka"
    assert state_name("  Tamil   Nadu ", "KA") == "Tamil Nadu"
    assert state_name("", "ZZ") is None


# --------------------------------------------------------------------------- the packaged table


def test_packaged_table_orders_the_heavy_rule_before_the_payment_rules() -> None:
    assert [rule.name for rule in RULES.rules] == ["heavy-over-5kg", "prepaid-over-2000", "cod-tier1", "cod-tier2-3"]
    assert CourierRules.default() is RULES  # parsed once per container


def test_cod_tier1_mumbai_prefers_delhivery_or_ecom_express() -> None:
    ranking = RULES.choose(MARKET, order("COD", city="Mumbai", pincode="400001"))
    assert ranking.rule == "cod-tier1"
    top = names(ranking.quotes[:3])
    assert set(top) == {"Delhivery Surface", "Delhivery Air", "Ecom Express Surface"}
    assert all(r.preferred for r in ranking.ranked[:3])
    assert not any(r.preferred for r in ranking.ranked[3:])


@pytest.mark.parametrize(("city", "pincode"), [("Nagpur", "440001"), ("Indore", "452001")])
def test_cod_tier2_prefers_ekart_or_dtdc(city: str, pincode: str) -> None:
    ranking = RULES.choose(MARKET, order("COD", city=city, pincode=pincode))
    assert ranking.rule == "cod-tier2-3"
    assert set(names(ranking.quotes[:2])) == {"Ekart Logistics", "DTDC Surface"}


def test_prepaid_above_2000_prefers_bluedart_despite_its_price() -> None:
    ranking = RULES.choose(MARKET, order("Prepaid", value=2500.0))
    assert ranking.rule == "prepaid-over-2000"
    assert ranking.quotes[0].courier_name == "Blue Dart Air"


def test_prepaid_at_2000_has_no_preference_and_ranks_by_score() -> None:
    ranking = RULES.choose(MARKET, order("Prepaid", value=2000.0))
    assert ranking.rule is None
    assert not any(r.preferred for r in ranking.ranked)
    scores = [r.score for r in ranking.ranked]
    assert scores == sorted(scores)
    # Prepaid keeps couriers without COD.
    assert "Shadowfax Surface" in names(ranking.quotes)


@pytest.mark.parametrize("payment", ["COD", "Prepaid"])
def test_over_5kg_prefers_xpressbees_or_delhivery_surface_over_payment_rules(payment: PaymentMethod) -> None:
    ranking = RULES.choose(MARKET, order(payment, value=2500.0, weight=6.0))
    assert ranking.rule == "heavy-over-5kg"
    assert set(names(ranking.quotes[:2])) == {"Xpressbees Surface", "Delhivery Surface"}
    # "delhivery surface" is the heavy-parcel preference: Delhivery Air is not preferred here.
    assert not next(r for r in ranking.ranked if r.quote.courier_name == "Delhivery Air").preferred


def test_volumetric_weight_counts_towards_the_heavy_rule() -> None:
    bulky = order("COD", weight=1.0, box=(40.0, 40.0, 20.0))  # 6.4 kg volumetric
    assert chargeable_weight_kg(bulky) == pytest.approx(6.4)
    assert RULES.choose(MARKET, bulky).rule == "heavy-over-5kg"
    assert RULES.choose(MARKET, order("COD", weight=5.0)).rule == "cod-tier1"  # "above" 5 kg is strict


def test_cod_drops_couriers_without_cod_and_blocked_ones_everywhere() -> None:
    quotes = [*MARKET, quote(99, "Delhivery Lite", 10.0, blocked=1)]
    ranking = RULES.choose(quotes, order("COD"))
    assert "Shadowfax Surface" not in names(ranking.quotes)
    assert "Delhivery Lite" not in names(ranking.quotes)
    assert {q.courier_name: why for q, why in ranking.dropped} == {
        "Shadowfax Surface": "does not accept COD",
        "Delhivery Lite": "blocked by Shiprocket",
    }
    assert "Delhivery Lite" not in names(RULES.rank(quotes, order("Prepaid")))


def test_fallback_order_is_preferred_by_score_then_the_rest_by_score() -> None:
    # COD Mumbai: the order in which AWB assignment is attempted after refusals.
    # Scores (0.5 cost + 0.3 ETA + 0.2 RTO, each normalised over the seven COD-capable couriers):
    # Delhivery Surface 0.341 < Delhivery Air 0.386 < Ecom 0.396; then Xpressbees 0.377 < Ekart 0.427
    # < Blue Dart 0.500 < DTDC 0.529. Xpressbees outscores two preferred couriers yet follows them.
    assert names(RULES.rank(MARKET, order("COD"))) == [
        "Delhivery Surface",
        "Delhivery Air",
        "Ecom Express Surface",
        "Xpressbees Surface",
        "Ekart Logistics",
        "Blue Dart Air",
        "DTDC Surface",
    ]


def test_cost_decides_when_eta_and_rto_are_equal() -> None:
    quotes = [quote(1, "A", 90.0, etd_hours=48), quote(2, "B", 60.0, etd_hours=48), quote(3, "C", 75.0, etd_hours=48)]
    assert names(RULES.rank(quotes, order("Prepaid"))) == ["B", "C", "A"]


def test_eta_falls_back_to_estimated_delivery_days() -> None:
    quotes = [quote(1, "Slow", 50.0, estimated_delivery_days="6"), quote(2, "Quick", 50.0, estimated_delivery_days=2)]
    assert names(RULES.rank(quotes, order("Prepaid"))) == ["Quick", "Slow"]


def test_missing_eta_ranks_as_the_slowest() -> None:
    quotes = [quote(1, "Unknown", 50.0), quote(2, "Known", 50.0, etd_hours=120)]
    assert names(RULES.rank(quotes, order("Prepaid"))) == ["Known", "Unknown"]


def test_rto_performance_counts_for_cod_only() -> None:
    quotes = [
        quote(1, "LowRto", 50.0, etd_hours=48, rto_performance=2.0),
        quote(2, "HighRto", 50.0, etd_hours=48, rto_performance=4.8),
    ]
    assert names(RULES.rank(quotes, order("COD", city="Jaipur", pincode="302001"))) == ["HighRto", "LowRto"]
    # Prepaid ignores RTO: a full tie, broken by courier_company_id.
    assert names(RULES.rank(quotes, order("Prepaid"))) == ["LowRto", "HighRto"]


def test_explain_names_the_rule_each_courier_and_each_drop() -> None:
    lines = RULES.explain(MARKET, order("COD"))
    assert "rule: cod-tier1" in lines[0]
    assert "COD, tier-1" in lines[0]
    assert lines[1].startswith("1. Delhivery Surface (#43): preferred by cod-tier1; score 0.341")
    assert lines[4].startswith("4. Xpressbees Surface (#33): not preferred")
    assert any(line.startswith("dropped Shadowfax Surface (#12): does not accept COD") for line in lines)
    assert len(lines) == 1 + len(MARKET)


def test_no_quotes_gives_an_empty_ranking() -> None:
    assert RULES.rank([], order("COD")) == []


# --------------------------------------------------------------------------- overrides and validation


def test_override_table_changes_the_choice() -> None:
    table = {
        "weights": {"cost": 1, "eta": 0, "rto": 0},
        "exclude": ["blue dart"],
        "rules": [{"name": "all-cod", "when": {"payment": "COD"}, "prefer": ["SHADOWFAX", "dtdc"]}],
    }
    rules = CourierRules.from_json(json.dumps(table))
    ranking = rules.choose(MARKET, order("Prepaid", value=5000.0))
    assert ranking.rule is None
    assert names(ranking.quotes)[:2] == ["Shadowfax Surface", "Ekart Logistics"]  # pure cost
    assert "Blue Dart Air" not in names(ranking.quotes)
    assert names(rules.rank(MARKET, order("COD")))[0] == "DTDC Surface"  # Shadowfax has no COD


def test_value_bands_are_half_open() -> None:
    table = {
        "rules": [
            {"name": "small", "when": {"order_value_at_most": 500}, "prefer": ["ekart"]},
            {"name": "mid", "when": {"order_value_above": 500, "order_value_at_most": 1500}, "prefer": ["dtdc"]},
        ]
    }
    rules = CourierRules.from_json(json.dumps(table))
    assert rules.choose(MARKET, order("Prepaid", value=500.0)).rule == "small"
    assert rules.choose(MARKET, order("Prepaid", value=500.01)).rule == "mid"
    assert rules.choose(MARKET, order("Prepaid", value=1500.01)).rule is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "Invalid JSON"),
        ("[]", "table"),
        ('{"rules": [{"name": "x", "when": {"paymnt": "COD"}, "prefer": ["dtdc"]}]}', "rules.0.when.paymnt"),
        ('{"rules": [{"name": "x", "when": {"payment": "cash"}, "prefer": ["dtdc"]}]}', "rules.0.when.payment"),
        ('{"rules": [{"name": "x", "prefer": []}]}', "rules.0.prefer"),
        ('{"rules": [{"name": "x", "prefer": [" - "]}]}', "no letters or digits"),
        ('{"rules": [{"name": "x", "when": {"city_tier": "tier2"}, "prefer": ["a"]}]}', "rules.0.when.city_tier"),
        (
            '{"rules": [{"name": "x", "when": {"weight_kg_above": 5, "weight_kg_at_most": 5}, "prefer": ["a"]}]}',
            "below",
        ),
        ('{"rules": [{"name": "x", "prefer": ["a"]}, {"name": "x", "prefer": ["b"]}]}', "repeated: x"),
        ('{"weights": {"cost": 0, "eta": 0, "rto": 0}}', "must be positive"),
        ('{"weights": {"cost": -1}}', "weights.cost"),
        ('{"version": 2}', "version"),
    ],
)
def test_bad_tables_are_rejected_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="invalid courier rules table") as exc:
        CourierRules.from_json(text)
    assert message in str(exc.value)


def test_packaged_file_round_trips_through_from_json() -> None:
    assert CourierRules.from_json(RULES.model_dump_json()) == RULES


# --------------------------------------------------------------------------- properties

_courier_names = ["Delhivery Surface", "Ecom Express", "Ekart", "DTDC", "Blue Dart", "Xpressbees", "Shadowfax"]
_quotes = st.lists(
    st.builds(
        lambda cid, name, rate, cod, blocked, etd, rto: quote(
            cid, name, rate, cod=cod, blocked=blocked, etd_hours=etd, rto_performance=rto
        ),
        st.integers(min_value=1, max_value=10_000),
        st.sampled_from(_courier_names),
        st.floats(min_value=1, max_value=1000, allow_nan=False),
        st.integers(min_value=0, max_value=1),
        st.sampled_from([0, 0, 0, 1]),
        st.one_of(st.none(), st.floats(min_value=1, max_value=240, allow_nan=False)),
        st.one_of(st.none(), st.floats(min_value=0, max_value=5, allow_nan=False)),
    ),
    max_size=10,
    unique_by=lambda q: q.courier_company_id,
)
_orders = st.builds(
    order,
    st.sampled_from(["COD", "Prepaid"]),
    city=st.sampled_from(["Mumbai", "Nagpur", "Pune", "Indore"]),
    pincode=st.sampled_from(["400001", "440001"]),
    value=st.floats(min_value=1, max_value=10_000, allow_nan=False),
    weight=st.floats(min_value=0.1, max_value=12, allow_nan=False),
)


@given(_quotes, _orders, st.randoms(use_true_random=False))
def test_property_rank_is_a_deterministic_permutation_of_the_eligible_quotes(
    quotes: list[CourierQuote], sr_order: ShiprocketOrder, rnd: Any
) -> None:
    ranked = RULES.rank(quotes, sr_order)
    eligible = [q for q in quotes if not q.blocked and (sr_order.payment_method == "Prepaid" or q.cod)]
    assert sorted(q.courier_company_id for q in ranked) == sorted(q.courier_company_id for q in eligible)

    shuffled = list(quotes)
    rnd.shuffle(shuffled)
    assert RULES.rank(shuffled, sr_order) == ranked

    ranking = RULES.choose(quotes, sr_order)
    flags = [r.preferred for r in ranking.ranked]
    assert flags == sorted(flags, reverse=True)  # every preferred courier precedes every other
    assert len(ranking.ranked) + len(ranking.dropped) == len(quotes)
