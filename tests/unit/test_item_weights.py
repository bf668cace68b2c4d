"""Items re-weighed again and again (freight.item_weights): found from the window's discrepancies and what each
parcel holds, the couriers' weight per unit told from the parcels that hold the item alone, paged once per item
and measured weight, each order read at Shiprocket once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from shipsync.domain.models import ShiprocketOrderDetails, ShiprocketOrderProduct
from shipsync.errors import ProviderRequestError
from shipsync.freight.item_weights import (
    ItemWeightAdvisor,
    ItemWeightSettings,
    Parcel,
    ParcelItem,
    advice_text,
    repeat_offenders,
)
from shipsync.freight.watch import Discrepancy, WalletWatch, WatchSettings
from shipsync.ledger.records import AwbRecord
from tests.unit.memory_ledger import MemoryLedger
from tests.unit.test_wallet_watch import TODAY, Counts, FakeWallet, Pages, reweighed

TEE = ParcelItem("TEE-BLK-M", "Cotton Tee Black M", 2)
MUG = ParcelItem("MUG-01", "Stoneware Mug", 1)


def parcel(awb: str, declared: float, charged: float, *items: ParcelItem) -> Parcel:
    return Parcel(awb=awb, declared_kg=declared, charged_kg=charged, items=items)


def discrepancy(awb: str, sr_order_id: int | None, declared: float = 0.5, charged: float = 3.0) -> Discrepancy:
    return Discrepancy(
        awb=awb,
        channel_order_id=None,
        sr_order_id=sr_order_id,
        declared_kg=declared,
        charged_kg=charged,
        extra_paise=6200,
        deadline=date(2025, 6, 16),
    )


# ------------------------------------------------------------------------------ the pure part


def test_an_item_is_found_once_it_is_in_as_many_discrepancies_as_the_threshold() -> None:
    parcels = [parcel("A1", 0.5, 3.0, TEE), parcel("A2", 0.5, 2.0, TEE), parcel("A3", 1.0, 2.0, MUG)]

    assert [f.sku for f in repeat_offenders(parcels, 2)] == ["TEE-BLK-M"]
    assert [f.sku for f in repeat_offenders(parcels, 1)] == ["TEE-BLK-M", "MUG-01"]  # most re-weighed first
    assert repeat_offenders(parcels, 3) == []


def test_a_parcel_charged_twice_counts_once_at_its_heavier_charge() -> None:
    parcels = [parcel("A1", 0.5, 2.0, TEE), parcel("A1", 0.5, 3.0, TEE)]

    assert repeat_offenders(parcels, 2) == []
    [finding] = repeat_offenders(parcels, 1)
    assert finding.charged_per_unit_kg == 1.5


def test_the_couriers_weight_is_the_median_per_unit_of_the_parcels_holding_the_item_alone() -> None:
    parcels = [
        parcel("A1", 0.5, 3.0, TEE),  # 1.5 kg a unit
        parcel("A2", 0.5, 3.0, ParcelItem("tee-blk-m", "Cotton Tee Black M", 1), ParcelItem("TEE-BLK-M", "", 1)),
        parcel("A3", 0.75, 6.0, ParcelItem("TEE-BLK-M", "Cotton Tee Black M", 3)),  # 2 kg a unit
        parcel("A4", 2.0, 9.0, TEE, MUG),  # mixed: counted, not measured
    ]

    [tee] = repeat_offenders(parcels, 2)

    # A2 holds one item line (SKUs compared without case): 1.5 kg a unit. The median of 1.5, 1.5 and 2.
    assert (tee.sku, len(tee.parcels), tee.charged_per_unit_kg, tee.declared_per_unit_kg) == (
        "TEE-BLK-M",
        4,
        1.5,
        0.25,
    )
    assert tee.mark_key == "ITEMWEIGHT#tee-blk-m#1.5"


def test_the_median_of_an_even_count_is_the_middle_pair_s_mean() -> None:
    [tee] = repeat_offenders([parcel("A1", 0.5, 2.0, TEE), parcel("A2", 0.5, 3.0, TEE)], 2)

    assert tee.charged_per_unit_kg == 1.25


def test_an_item_only_ever_packed_with_others_is_named_with_its_parcels_and_no_weight() -> None:
    parcels = [parcel("A1", 1.5, 4.0, TEE, MUG), parcel("A2", 1.0, 2.5, ParcelItem("MUG-01", "Stoneware Mug", 2), TEE)]

    findings = {f.sku: f for f in repeat_offenders(parcels, 2)}

    mug = findings["MUG-01"]
    assert (mug.charged_per_unit_kg, mug.declared_per_unit_kg, mug.mark_key) == (None, None, "ITEMWEIGHT#mug-01#mixed")
    subject, message = advice_text(mug, 7)
    assert subject == "Fix the item's weight in Zoho: SKU MUG-01 (Stoneware Mug)"
    assert message.startswith(
        "Fix the item's weight in Zoho: SKU MUG-01 (Stoneware Mug) raised 2 weight discrepancies in the last 7 days, "
        "each time packed with other items, so the couriers' weight of one unit cannot be told apart"
    )
    assert "AWB A1: 2 x TEE-BLK-M (Cotton Tee Black M) + 1 x MUG-01 (Stoneware Mug); declared 1.5 kg, charged 4 kg" in (
        message
    )
    assert "AWB A2: 2 x MUG-01 (Stoneware Mug) + 2 x TEE-BLK-M (Cotton Tee Black M)" in message


def test_the_advice_says_what_the_couriers_charge_and_what_zoho_declares_with_the_awbs() -> None:
    [tee] = repeat_offenders([parcel("A1", 0.5, 3.0, TEE), parcel("A2", 0.5, 2.0, TEE, MUG)], 2)

    _, message = advice_text(tee, 7)

    assert message.startswith(
        "Fix the item's weight in Zoho: SKU TEE-BLK-M (Cotton Tee Black M) raised 2 weight discrepancies in the last "
        "7 days; couriers charge ~1.5 kg per unit, Zoho declares 0.25 kg.\n"
    )
    assert "\nAWBs: A1, A2\n" in message


# ------------------------------------------------------------------------------ the advisor


class FakeShiprocket:
    def __init__(self, products: dict[int, list[ShiprocketOrderProduct] | None]) -> None:
        self.products, self.asked = products, []

    def get_order(self, sr_order_id: int) -> ShiprocketOrderDetails:
        self.asked.append(sr_order_id)
        return ShiprocketOrderDetails(sr_order_id=sr_order_id, products=self.products[sr_order_id])


def tees(units: int = 2) -> list[ShiprocketOrderProduct]:
    return [ShiprocketOrderProduct(sku="TEE-BLK-M", name="Cotton Tee Black M", quantity=units)]


def advisor(
    shiprocket: FakeShiprocket, ledger: MemoryLedger, **settings: Any
) -> tuple[ItemWeightAdvisor, Pages, Counts]:
    pages, counts = Pages(), Counts()
    return ItemWeightAdvisor(shiprocket, ledger, pages, counts, ItemWeightSettings(**settings)), pages, counts


def test_an_item_is_paged_once_per_measured_weight_and_each_order_read_once() -> None:
    shiprocket = FakeShiprocket({11: tees(), 12: tees(), 13: tees()})
    ledger = MemoryLedger()
    advise, pages, counts = advisor(shiprocket, ledger)
    window = [discrepancy("A1", 11), discrepancy("A2", 12)]

    first = advise(window)
    again = advise(window)
    # A third parcel charged 4 kg: the median stays 1.5 kg a unit, nothing to tell.
    same = advise([*window, discrepancy("A3", 13, charged=4.0)])

    assert (first, again, same) == (1, 0, 0)
    assert shiprocket.asked == [11, 12, 13]
    [(kind, subject, message)] = pages.sent
    assert (kind, subject) == ("ItemWeight", "Fix the item's weight in Zoho: SKU TEE-BLK-M (Cotton Tee Black M)")
    assert "raised 2 weight discrepancies in the last 7 days; couriers charge ~1.5 kg per unit" in message
    assert counts.counts == {"ItemWeightAdvice": 1}


def test_a_weight_that_moves_is_paged_again() -> None:
    shiprocket = FakeShiprocket({11: tees(), 12: tees(), 13: tees()})
    advise, pages, counts = advisor(shiprocket, MemoryLedger(), lookback_days=10)

    advise([discrepancy("A1", 11), discrepancy("A2", 12)])
    advise([discrepancy("A1", 11), discrepancy("A2", 12, charged=4.0), discrepancy("A3", 13, charged=4.0)])

    assert [message.split(";")[1] for _, _, message in pages.sent] == [
        " couriers charge ~1.5 kg per unit, Zoho declares 0.25 kg.\nWeigh a packed unit and correct the item's weight "
        "in Zoho Inventory: later orders then declare what the couriers charge. The discrepancies already charged "
        "are paged with their dispute deadlines (WeightDiscrepancy).\nAWBs: A1, A2\nParcels:\nAWB A1: 2 x TEE-BLK-M "
        "(Cotton Tee Black M)",
        " couriers charge ~2 kg per unit, Zoho declares 0.25 kg.\nWeigh a packed unit and correct the item's weight "
        "in Zoho Inventory: later orders then declare what the couriers charge. The discrepancies already charged "
        "are paged with their dispute deadlines (WeightDiscrepancy).\nAWBs: A1, A2, A3\nParcels:\nAWB A1: 2 x "
        "TEE-BLK-M (Cotton Tee Black M)",
    ]
    assert "raised 3 weight discrepancies in the last 10 days" in pages.sent[1][2]
    assert counts.counts == {"ItemWeightAdvice": 2}


def test_the_repeat_threshold_is_a_setting() -> None:
    shiprocket = FakeShiprocket({11: tees(), 12: tees()})
    advise, pages, _ = advisor(shiprocket, MemoryLedger(), repeat_threshold=3)

    assert advise([discrepancy("A1", 11), discrepancy("A2", 12)]) == 0
    assert pages.sent == []


def test_a_row_without_the_order_id_is_read_through_the_awb_the_ledger_shipped() -> None:
    ledger = MemoryLedger()
    ledger.put_awb(AwbRecord(awb="A2", salesorder_id="101", sr_order_id=12))
    shiprocket = FakeShiprocket({11: tees(), 12: tees()})
    advise, pages, _ = advisor(shiprocket, ledger)

    # A3: neither an order id nor an AWB the ledger knows; left out, not guessed.
    assert advise([discrepancy("A1", 11), discrepancy("A2", None), discrepancy("A3", None)]) == 1
    assert shiprocket.asked == [11, 12]
    assert "AWBs: A1, A2\n" in pages.sent[0][2]


@pytest.mark.parametrize("products", [None, []], ids=["unreadable", "empty"])
def test_an_unreadable_answer_raises_and_is_read_again_next_time(products: list[ShiprocketOrderProduct] | None) -> None:
    shiprocket = FakeShiprocket({11: tees(), 12: products})
    ledger = MemoryLedger()
    advise, pages, _ = advisor(shiprocket, ledger)

    with pytest.raises(ProviderRequestError, match="orders/show 12 lists no readable products"):
        advise([discrepancy("A1", 11), discrepancy("A2", 12)])
    shiprocket.products[12] = tees()
    assert advise([discrepancy("A1", 11), discrepancy("A2", 12)]) == 1

    # Not kept as "no items": asked again, and only that order.
    assert shiprocket.asked == [11, 12, 12]
    assert len(pages.sent) == 1


def test_the_wallet_watch_asks_the_advisor_after_a_new_discrepancy_only() -> None:
    ledger, pages, counts = MemoryLedger(), Pages(), Counts()
    shiprocket = FakeShiprocket({612345678: tees(), 612345679: tees()})
    advise = ItemWeightAdvisor(shiprocket, ledger, pages, counts, ItemWeightSettings())
    wallet = FakeWallet([reweighed(1)], "5000.00")
    job = WalletWatch(wallet, ledger, pages, counts, WatchSettings(), lambda: TODAY, advise=advise)

    one = job.run()
    wallet.rows.append(reweighed(2, order_id="612345679", awb_code="19041234567891"))
    two = job.run()
    quiet = job.run()

    assert [s["item_weights_paged"] for s in (one, two, quiet)] == [0, 1, 0]
    assert shiprocket.asked == [612345678, 612345679]
    assert [kind for kind, _, _ in pages.sent] == ["WeightDiscrepancy", "WeightDiscrepancy", "ItemWeight"]
    # reweighed(): 0.5 kg declared, 2 kg charged, for 2 units.
    assert "couriers charge ~1 kg per unit, Zoho declares 0.25 kg" in pages.sent[2][2]
    assert counts.counts == {"WeightDiscrepancy": 2, "ItemWeightAdvice": 1}
