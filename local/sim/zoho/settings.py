"""The organisation's custom field definitions, as ``GET /inventory/v1/settings/preferences`` lists them under
``customfields.<entity>`` (docs/providers/zoho.md §17).

Not in Zoho's published specs: the path and ``customfields.salesorder[]`` with ``api_name`` / ``data_type`` are what
an integrator reads live (tap-zoho-inventory), the other keys of an entry those of a custom field on a live sales
order (GUESS that a definition carries them). The sales-order fields start as the ones the sample seller made for
shipsync (README "Configuration reference"); ``/_sim/seed {"customfields": {"salesorder": [...]}}`` replaces them,
so a test can take one away. The definitions do not police writes: a sales order still takes a value for any
``api_name`` (the contract ``_set_custom_field`` keeps), which is not what a real organisation is known to do.
"""

from __future__ import annotations

import copy
from typing import Any

from local.sim.base import Request, Response
from local.sim.zoho.state import ZohoState

# The sample seller's sales-order fields (labels and types as local.sample_data gives them where it has them).
DEFAULT_SALESORDER_CUSTOM_FIELDS: tuple[dict[str, Any], ...] = (
    {"api_name": "cf_payment_method", "label": "Payment Method", "data_type": "dropdown"},
    {"api_name": "cf_awb_number", "label": "AWB Number", "data_type": "string"},
    {"api_name": "cf_shiprocket_order_id", "label": "Shiprocket Order ID", "data_type": "string"},
    {"api_name": "cf_courier_partner", "label": "Courier Partner", "data_type": "string"},
    {"api_name": "cf_shipment_status", "label": "Shipment Status", "data_type": "string"},
    {"api_name": "cf_shipment_action", "label": "Shipment Action", "data_type": "dropdown"},
    {"api_name": "cf_eway_bill_no", "label": "E-way Bill No", "data_type": "string"},
    {"api_name": "cf_label_url", "label": "Label URL", "data_type": "string"},
    {"api_name": "cf_expected_delivery", "label": "Expected Delivery", "data_type": "string"},
    {"api_name": "cf_cod_remittance_id", "label": "COD Remittance ID", "data_type": "string"},
)


class SettingsMixin(ZohoState):
    customfields: dict[str, list[dict[str, Any]]]

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self.customfields = {"salesorder": [self._definition(entry) for entry in DEFAULT_SALESORDER_CUSTOM_FIELDS]}

    def _definition(self, entry: dict[str, Any]) -> dict[str, Any]:
        api_name = str(entry.get("api_name") or entry.get("placeholder") or "")
        if not api_name:
            raise ValueError("a custom field definition needs its api_name")
        given_id = {"customfield_id": str(entry["customfield_id"])} if entry.get("customfield_id") else {}
        return {
            **given_id,
            "api_name": api_name,
            "placeholder": api_name,
            "label": str(entry.get("label") or api_name.removeprefix("cf_").replace("_", " ").title()),
            "data_type": str(entry.get("data_type") or "string"),
            "is_active": bool(entry.get("is_active", True)),
        }

    def seed_customfields(self, groups: Any) -> list[str]:
        """``{"<entity>": [definition, ...]}``: each entity's list replaced (an empty list removes them all)."""
        if not isinstance(groups, dict) or not all(isinstance(rows, list) for rows in groups.values()):
            raise ValueError('customfields is {"<entity>": [{"api_name", "label"?, "data_type"?, "is_active"?}]}')
        if not all(isinstance(row, dict) for rows in groups.values() for row in rows):
            raise ValueError("each custom field definition is an object")
        # Read whole before anything changes: a bad entry leaves the definitions as they were.
        replaced = {str(entity): [self._definition(row) for row in rows] for entity, rows in groups.items()}
        self.customfields.update(replaced)
        return sorted(replaced)

    def _preferences(self, request: Request) -> Response:
        # Only the custom fields: the rest of the preferences answer is not known (docs/providers/zoho.md §17).
        groups = {entity: self._preferences_rows(entity) for entity in self.customfields}
        return Response(200, {"code": 0, "message": "success", "customfields": groups})

    def _preferences_rows(self, entity: str) -> list[dict[str, Any]]:
        # Unless seeded, the id is the one a value of the field carries on a sales order, drawn when first needed so
        # that a reset does not move the ids of every record made after it.
        return [
            {
                **copy.deepcopy(row),
                "customfield_id": row.get("customfield_id") or self._custom_field_id(row["api_name"]),
            }
            for row in self.customfields.get(entity, [])
        ]
