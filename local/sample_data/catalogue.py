"""What the generator draws orders from: cities by tier, the items for sale, names and street addresses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    name: str
    state: str
    state_code: str
    pincodes: tuple[str, ...]
    tier: str  # tier1 | tier2 | tier3
    localities: tuple[str, ...]


TIER1 = (
    City("Mumbai", "Maharashtra", "MH", ("400001", "400050", "400076", "400097"), "tier1",
         ("Fort", "Bandra West", "Powai", "Malad East")),
    City("New Delhi", "Delhi", "DL", ("110001", "110017", "110085", "110092"), "tier1",
         ("Connaught Place", "Malviya Nagar", "Rohini Sector 9", "Preet Vihar")),
    City("Bengaluru", "Karnataka", "KA", ("560001", "560038", "560095", "560076"), "tier1",
         ("MG Road", "Indiranagar", "Koramangala 6th Block", "BTM Layout")),
    City("Hyderabad", "Telangana", "TS", ("500001", "500034", "500081", "500072"), "tier1",
         ("Abids", "Banjara Hills", "Madhapur", "Kukatpally")),
    City("Chennai", "Tamil Nadu", "TN", ("600001", "600020", "600040", "600028"), "tier1",
         ("George Town", "Adyar", "Anna Nagar", "Mylapore")),
    City("Pune", "Maharashtra", "MH", ("411001", "411038", "411014", "411057"), "tier1",
         ("Camp", "Kothrud", "Viman Nagar", "Wakad")),
)  # fmt: skip
TIER23 = (
    City("Nagpur", "Maharashtra", "MH", ("440001", "440010"), "tier2", ("Sitabuldi", "Dharampeth")),
    City("Indore", "Madhya Pradesh", "MP", ("452001", "452010"), "tier2", ("Rajwada", "Vijay Nagar")),
    City("Jaipur", "Rajasthan", "RJ", ("302001", "302017"), "tier2", ("Johari Bazar", "Malviya Nagar")),
    City("Lucknow", "Uttar Pradesh", "UP", ("226001", "226010"), "tier2", ("Hazratganj", "Gomti Nagar")),
    City("Coimbatore", "Tamil Nadu", "TN", ("641001", "641018"), "tier2", ("Town Hall", "RS Puram")),
    City("Surat", "Gujarat", "GJ", ("395003", "395007"), "tier2", ("Nanpura", "Vesu")),
    City("Bhopal", "Madhya Pradesh", "MP", ("462001", "462016"), "tier2", ("Hamidia Road", "Arera Colony")),
    City("Guwahati", "Assam", "AS", ("781001", "781005"), "tier2", ("Pan Bazaar", "Dispur")),
    City("Dehradun", "Uttarakhand", "UK", ("248001",), "tier3", ("Paltan Bazaar", "Rajpur Road")),
    City("Mysuru", "Karnataka", "KA", ("570001", "570017"), "tier3", ("Devaraja Mohalla", "Vijayanagar")),
    City("Kochi", "Kerala", "KL", ("682011", "682024"), "tier3", ("Ernakulam South", "Edappally")),
    City("Patna", "Bihar", "BR", ("800001", "800013"), "tier3", ("Fraser Road", "Boring Road")),
)
# Island and high-altitude destinations none of the simulated couriers reach.
# The seller's two Zoho warehouses (locations) and the Shiprocket pickup locations they ship from (the
# simulator's "Primary" and "Pune-WH1"; PickupLocationsJson of the local stack maps them).
WAREHOUSES = {
    "1947583000000200001": {
        "location_name": "Pune Central Warehouse",
        "pickup_location": "Primary",
        "pincode": "411001",
        "street_address1": "Shop 4, 17 Station Road",
        "primary": True,
    },
    "1947583000000200002": {
        "location_name": "Hadapsar Warehouse",
        "pickup_location": "Pune-WH1",
        "pincode": "411028",
        "street_address1": "Gala 9, 221 Hadapsar Industrial Estate",
        "primary": False,
    },
}


def zoho_location(location_id: str) -> dict[str, object]:
    """A warehouse as Zoho's ``GET /locations/{id}`` holds it (the pin code under ``address.zip``, a GUESS:
    docs/providers/zoho.md §15)."""
    warehouse = WAREHOUSES[location_id]
    return {
        "location_id": location_id,
        "location_name": warehouse["location_name"],
        "type": "general",
        "address": {
            "street_address1": warehouse["street_address1"],
            "city": "Pune",
            "state": "Maharashtra",
            "state_code": "MH",
            "country": "India",
            "zip": warehouse["pincode"],
        },
        "phone": "+91 98000 00001",
        "email": "warehouse@seller.example",
        "is_primary_location": warehouse["primary"],
        "is_location_active": True,
    }


UNSERVICEABLE_CITIES = (
    City("Car Nicobar", "Andaman and Nicobar Islands", "AN", ("744301",), "tier3", ("Malacca",)),
    City("Leh", "Ladakh", "LA", ("194101",), "tier3", ("Changspa",)),
    City("Diglipur", "Andaman and Nicobar Islands", "AN", ("744202",), "tier3", ("Kalipur",)),
)


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    rate: float
    gst: float
    hsn: str
    weight: float
    weight_unit: str
    dims_cm: tuple[float, float, float]

    @property
    def weight_kg(self) -> float:
        return self.weight / 1000 if self.weight_unit == "g" else self.weight


LIGHT_ITEMS = (
    Item("TEE-BLK-M", "Cotton Tee Black M", 599.0, 5, "61091000", 220, "g", (28, 22, 3)),
    Item("KURTA-IND-L", "Indigo Block-Print Kurta L", 1299.0, 12, "62052000", 350, "g", (32, 26, 4)),
    Item("JEANS-SLM-32", "Slim Fit Jeans 32", 1799.0, 12, "62034200", 0.65, "kg", (34, 28, 5)),
    Item("SAREE-BNR-SLK", "Banarasi Silk Saree", 4499.0, 5, "50072010", 0.8, "kg", (36, 28, 6)),
    Item("BTL-STL-1L", "Steel Water Bottle 1 L", 649.0, 18, "73239310", 420, "g", (27, 8, 8)),
    Item("HDPH-BT-200", "Bluetooth Headphones BT200", 2499.0, 18, "85183000", 280, "g", (22, 19, 9)),
    Item("TEA-ASM-500", "Assam CTC Tea 500 g", 349.0, 5, "09024020", 530, "g", (18, 12, 8)),
    Item("YOGA-MAT-6MM", "Yoga Mat 6 mm", 899.0, 18, "39189090", 1.1, "kg", (61, 13, 13)),
    Item("PC-CKR-3L", "Pressure Cooker 3 L", 2199.0, 18, "76151030", 2.9, "kg", (34, 24, 22)),
)
HEAVY_ITEMS = (
    Item("MIXER-750W", "Mixer Grinder 750 W", 3899.0, 18, "85094010", 5.6, "kg", (38, 25, 25)),
    Item("DMBL-HEX-5KG", "Hex Dumbbell 5 kg", 1850.0, 18, "95069190", 5300, "g", (26, 12, 12)),
    Item("ATTA-WHT-10KG", "Chakki Atta 10 kg", 520.0, 0, "11010000", 10.2, "kg", (50, 35, 10)),
)
ITEMS = LIGHT_ITEMS + HEAVY_ITEMS

FIRST_NAMES = (
    "Ananya", "Rohan", "Priya", "Arjun", "Kavya", "Vikram", "Sneha", "Rahul", "Meera", "Aditya",
    "Pooja", "Karthik", "Neha", "Siddharth", "Divya", "Amit", "Lakshmi", "Manish", "Ishita", "Suresh",
    "Fatima", "Imran", "Gurpreet", "Harpreet", "Anjali", "Nikhil", "Deepa", "Rajesh", "Swati", "Arun",
)  # fmt: skip
LAST_NAMES = (
    "Iyer", "Sharma", "Patel", "Reddy", "Nair", "Gupta", "Kulkarni", "Singh", "Menon", "Deshpande",
    "Chatterjee", "Rao", "Joshi", "Khan", "Verma", "Pillai", "Bose", "Agarwal", "Kaur", "Mishra",
)  # fmt: skip
STREETS = ("Main Road", "2nd Cross", "Station Road", "Temple Street", "Link Road", "1st Main", "Ring Road")
LANDMARKS = ("Near City Hospital", "Opp. SBI ATM", "Behind Ganesh Temple", "Near Bus Stand", "")
EMAIL_DOMAINS = ("gmail.com", "yahoo.co.in", "outlook.com", "rediffmail.com")
