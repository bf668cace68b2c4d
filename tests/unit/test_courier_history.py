"""Courier rules that read the seller's own record per courier (the ``history`` section, issue 14)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipsync.domain.models import CourierQuote, PaymentMethod, ShiprocketOrder, ShiprocketOrderItem
from shipsync.orders.courier import CourierHistory, CourierRules

RULES = CourierRules.default()


def quote(cid: int, name: str, rate: float, **extra: Any) -> CourierQuote:
    return CourierQuote.model_validate({"courier_company_id": cid, "courier_name": name, "rate": rate, **extra})


def order(payment: PaymentMethod = "COD", *, value: float = 999.0) -> ShiprocketOrder:
    return ShiprocketOrder(
        order_id="SO-00042",
        order_date="2024-06-01",
        pickup_location="Pune-WH1",
        billing_customer_name="Ananya",
        billing_address="No. 14, 3rd Cross",
        billing_city="Mumbai",
        billing_pincode="400001",
        billing_state="Maharashtra",
        billing_email="a@example.in",
        billing_phone="9845012345",
        order_items=[ShiprocketOrderItem(name="Tee", sku="TEE", units=1, selling_price=value)],
        payment_method=payment,
        sub_total=value,
        length=10.0,
        breadth=10.0,
        height=10.0,
        weight=0.5,
    )


def with_history(history: dict[str, Any], **table: Any) -> CourierRules:
    """The packaged table plus a history section, parsed the way the seller's SSM parameter is."""
    return CourierRules.from_json(json.dumps({**json.loads(RULES.model_dump_json()), **table, "history": history}))


def record(shipments: int, rto_rate: float, rto_cost: float) -> dict[str, Any]:
    return {"shipments": shipments, "rto_rate": rto_rate, "rto_cost": rto_cost}


def history_key(rules: CourierRules, courier_name: str) -> str | None:
    match = rules.history_for(courier_name)
    return None if match is None else match.key


def names(quotes: list[CourierQuote]) -> list[str]:
    return [q.courier_name for q in quotes]


# COD to Mumbai: the packaged cod-tier1 rule prefers Delhivery or Ecom Express.
MARKET = [
    quote(43, "Delhivery Surface", 90.0, etd_hours=70, rto_performance=4.1),
    quote(48, "Ecom Express Surface", 95.0, etd_hours=72, rto_performance=3.9),
    quote(51, "Ekart Logistics", 80.0, etd_hours=90, rto_performance=3.5),
]
# As the margin report prints it: Delhivery's returns are frequent and dear, Ecom's rare.
MARGIN_REPORT = {
    "Delhivery Surface": record(140, 0.18, 124.44),
    "Ecom Express Surface": record(200, 0.08, 118.0),
}


# --------------------------------------------------------------------------- the packaged table


def test_packaged_table_has_no_history() -> None:
    assert RULES.history == {}
    assert RULES.history_min_shipments == 20
    assert all(r.history is None for r in RULES.choose(MARKET, order("COD")).ranked)


def _todays_badness(values: list[float | None], *, higher_is_better: bool) -> list[float]:
    present = [v for v in values if v is not None]
    if not present:
        return [0.0] * len(values)
    low, high = min(present), max(present)
    return [
        1.0 if v is None else 0.0 if high == low else ((high - v) if higher_is_better else (v - low)) / (high - low)
        for v in values
    ]


def _eta(q: CourierQuote) -> float | None:
    if q.etd_hours:
        return q.etd_hours
    return q.estimated_delivery_days * 24.0 if q.estimated_delivery_days else None


_names = ["Delhivery Surface", "Delhivery Air", "Ecom Express", "Ekart", "DTDC", "Blue Dart", "Xpressbees"]
_quotes = st.lists(
    st.builds(
        lambda cid, name, rate, etd, rto: quote(cid, name, rate, etd_hours=etd, rto_performance=rto),
        st.integers(min_value=1, max_value=10_000),
        st.sampled_from(_names),
        st.floats(min_value=1, max_value=1000, allow_nan=False),
        st.one_of(st.none(), st.floats(min_value=1, max_value=240, allow_nan=False)),
        st.one_of(st.none(), st.floats(min_value=0, max_value=5, allow_nan=False)),
    ),
    max_size=8,
    unique_by=lambda q: q.courier_company_id,
)


@given(_quotes, st.sampled_from(["COD", "Prepaid"]), st.sampled_from([999.0, 2500.0]))
def test_property_the_packaged_table_scores_on_rate_eta_and_shiprocket_rto_as_before(
    quotes: list[CourierQuote], payment: PaymentMethod, value: float
) -> None:
    ranking = RULES.choose(quotes, order(payment, value=value))
    eligible = [r.quote for r in ranking.ranked]
    cost = _todays_badness([q.rate for q in eligible], higher_is_better=False)
    eta = _todays_badness([_eta(q) for q in eligible], higher_is_better=False)
    rto = _todays_badness([q.rto_performance for q in eligible], higher_is_better=True)
    rto_weight = 0.2 if payment == "COD" else 0.0
    expected = [0.5 * c + 0.3 * e + rto_weight * r for c, e, r in zip(cost, eta, rto, strict=True)]
    assert [r.score for r in ranking.ranked] == pytest.approx(expected)
    assert not any("expected cost" in line for line in ranking.explain())


@given(_quotes, st.sampled_from(["COD", "Prepaid"]))
def test_property_records_below_the_minimum_change_nothing(quotes: list[CourierQuote], payment: PaymentMethod) -> None:
    thin = with_history({name: record(19, 0.9, 500.0) for name in _names})
    assert thin.choose(quotes, order(payment)) == RULES.choose(quotes, order(payment))


# --------------------------------------------------------------------------- ranking on the record


def test_dear_returns_cost_the_cheapest_preferred_courier_its_first_place_for_cod() -> None:
    assert names(RULES.rank(MARKET, order("COD"))) == ["Delhivery Surface", "Ecom Express Surface", "Ekart Logistics"]

    ranking = with_history(MARGIN_REPORT).choose(MARKET, order("COD"))
    assert names(ranking.quotes) == ["Ecom Express Surface", "Delhivery Surface", "Ekart Logistics"]
    lines = ranking.explain()
    # Costs 104.44 / 112.40 / 80.00 (Ekart has no record); rto 4.60 / 4.10 / 3.5 on Shiprocket's 0-5 scale.
    assert lines[1] == (
        "1. Ecom Express Surface (#48): preferred by cod-tier1; score 0.407 (expected cost 104.44 = 95.00 + "
        "0.08 \N{MULTIPLICATION SIGN} 118.00 over 200 shipments (history 'Ecom Express Surface'), eta 72 h, "
        "rto 4.60 from its own rto_rate)"
    )
    assert lines[2].startswith("2. Delhivery Surface (#43): preferred by cod-tier1; score 0.591 (")
    assert "expected cost 112.40 = 90.00 + 0.18 \N{MULTIPLICATION SIGN} 124.44 over 140 shipments" in lines[2]
    assert lines[3] == "3. Ekart Logistics (#51): not preferred; score 0.500 (rate 80.00, eta 90 h, rto 3.5)"


def test_own_rto_rate_replaces_shiprocket_rto_performance_on_its_0_to_5_scale() -> None:
    # Same rate and ETA, returns free: only the RTO measure differs. Shiprocket's 4.5 against 5 x (1 - rate).
    quotes = [
        quote(1, "Known", 50.0, etd_hours=48, rto_performance=1.0),
        quote(2, "Rated", 50.0, etd_hours=48, rto_performance=4.5),
    ]
    worse = with_history({"known": record(50, 0.2, 0.0)})  # 4.0
    better = with_history({"known": record(50, 0.05, 0.0)})  # 4.75
    assert names(worse.rank(quotes, order("COD"))) == ["Rated", "Known"]
    assert names(better.rank(quotes, order("COD"))) == ["Known", "Rated"]
    assert "rto 4.75 from its own rto_rate" in better.explain(quotes, order("COD"))[1]


def test_prepaid_compares_expected_cost_too() -> None:
    quotes = [
        quote(1, "Cheapo Surface", 60.0, etd_hours=72, rto_performance=4.0),
        quote(2, "Steady Express", 70.0, etd_hours=72, rto_performance=4.0),
    ]
    assert names(RULES.rank(quotes, order("Prepaid"))) == ["Cheapo Surface", "Steady Express"]
    rules = with_history({"cheapo": record(100, 0.30, 150.0)})  # 60 + 45 = 105 against 70
    assert names(rules.rank(quotes, order("Prepaid"))) == ["Steady Express", "Cheapo Surface"]
    assert "expected cost 105.00 = 60.00 + 0.3" in rules.explain(quotes, order("Prepaid"))[2]


def test_the_own_rto_rate_counts_for_cod_only() -> None:
    # Returns that cost nothing leave the expected cost at the rate: only the RTO measure differs.
    quotes = [quote(1, "Cheapo Surface", 70.0, etd_hours=72), quote(2, "Steady Express", 70.0, etd_hours=72)]
    rules = with_history({"cheapo": record(100, 0.5, 0.0), "steady": record(100, 0.0, 0.0)})
    assert names(rules.rank(quotes, order("COD"))) == ["Steady Express", "Cheapo Surface"]
    # Prepaid: a full tie, broken by courier_company_id.
    assert names(rules.rank(quotes, order("Prepaid"))) == ["Cheapo Surface", "Steady Express"]


def test_records_below_the_minimum_sample_are_ignored() -> None:
    thin = {name: {**figures, "shipments": 19} for name, figures in MARGIN_REPORT.items()}
    ranking = with_history(thin).choose(MARKET, order("COD"))
    assert ranking == RULES.choose(MARKET, order("COD"))
    assert names(with_history(thin, history_min_shipments=19).rank(MARKET, order("COD")))[0] == "Ecom Express Surface"
    assert history_key(with_history({"ekart": record(20, 0.5, 100.0)}), "Ekart Logistics") == "ekart"  # 20 is enough


def test_the_longest_matching_fragment_wins() -> None:
    rules = with_history(
        {
            "delhivery": record(300, 0.10, 100.0),
            "Delhivery Surface": record(120, 0.25, 110.0),
            "ekart": record(50, 0.1, 90.0),
            "kartl": record(50, 0.2, 90.0),
        }
    )
    assert history_key(rules, "DELHIVERY SURFACE") == "Delhivery Surface"
    assert history_key(rules, "Delhivery Air") == "delhivery"
    assert history_key(rules, "Ekart Logistics") == "ekart"  # equal lengths: the alphabetically first
    assert history_key(rules, "Ecom Express") is None

    lines = rules.explain([*MARKET, quote(44, "Delhivery Air", 110.0, etd_hours=40)], order("COD"))
    assert any("Delhivery Air (#44)" in line and "(history 'delhivery')" in line for line in lines)
    assert any("Delhivery Surface (#43)" in line and "(history 'Delhivery Surface')" in line for line in lines)


def test_a_thin_specific_record_leaves_the_broader_one_in_force() -> None:
    rules = with_history({"delhivery": record(300, 0.10, 100.0), "Delhivery Surface": record(5, 0.9, 900.0)})
    assert history_key(rules, "Delhivery Surface") == "delhivery"


# --------------------------------------------------------------------------- the table


def test_margin_report_output_round_trips_through_from_json() -> None:
    text = json.dumps({"history": MARGIN_REPORT, "history_min_shipments": 50})
    rules = CourierRules.from_json(text)
    assert rules.history["Delhivery Surface"] == CourierHistory(shipments=140, rto_rate=0.18, rto_cost=124.44)
    assert rules.history_min_shipments == 50
    assert CourierRules.from_json(rules.model_dump_json()) == rules
    # The other sections keep their defaults.
    assert rules.rules == []
    assert rules.weights == RULES.weights


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ({"Ekart": record(50, 1.2, 90.0)}, "history.Ekart.rto_rate: Input should be less than or equal to 1"),
        ({"Ekart": record(50, -0.1, 90.0)}, "history.Ekart.rto_rate"),
        ({"Ekart": record(50, 0.1, -5.0)}, "history.Ekart.rto_cost: Input should be greater than or equal to 0"),
        ({"Ekart": record(0, 0.1, 90.0)}, "history.Ekart.shipments"),
        ({"Ekart": record(50, 0.1, 90.0) | {"shipments": 50.5}}, "history.Ekart.shipments"),
        ({" - ": record(50, 0.1, 90.0)}, "no letters or digits"),
        ({"Ekart": {**record(50, 0.1, 90.0), "rto_cst": 1}}, "history.Ekart.rto_cst: Extra inputs are not permitted"),
        ({"Ekart": {"shipments": 50, "rto_rate": 0.1}}, "history.Ekart.rto_cost: Field required"),
        ({"Ekart": record(50, 0.1, 90.0), "e-kart": record(9, 0.1, 90.0)}, "'Ekart' and 'e-kart' name the same"),
        ([record(50, 0.1, 90.0)], "history: Input should be an object"),
    ],
)
def test_bad_history_is_rejected_with_a_clear_message(history: Any, message: str) -> None:
    with pytest.raises(ValueError, match="invalid courier rules table") as exc:
        CourierRules.from_json(json.dumps({"history": history}))
    assert message in str(exc.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"history": {"Ekart": {"shipments": 50, "rto_rate": 0.1, "rto_cost": Infinity}}}', "finite number"),
        ('{"history_min_shipments": 0}', "history_min_shipments"),
        ('{"history_min_shipment": 10}', "history_min_shipment: Extra inputs"),
    ],
)
def test_bad_history_settings_are_rejected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="invalid courier rules table") as exc:
        CourierRules.from_json(text)
    assert message in str(exc.value)
