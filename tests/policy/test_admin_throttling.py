"""The admin reads are throttled below the API's default: each costs ledger scans or provider reads, so a support
tool polling one must not spend Zoho's or DynamoDB's budget at fifty requests a second."""

from __future__ import annotations

from typing import Any

from tests.policy.test_template_policy import ADMIN_ROUTES

Template = dict[str, Any]


def _method_settings(source_template: Template) -> list[dict[str, Any]]:
    api = source_template["Resources"]["ShipsyncApi"]["Properties"]
    settings: list[dict[str, Any]] = api["MethodSettings"]
    return settings


def test_every_admin_read_has_its_own_lower_throttle(source_template: Template) -> None:
    settings = _method_settings(source_template)
    [default] = [s for s in settings if s["ResourcePath"] == "/*"]
    reads = sorted(path for path, method in ADMIN_ROUTES if method == "get")
    assert reads == ["/admin/dlq", "/admin/margin", "/admin/orders/{salesorder_number}"]
    for path in reads:
        # API Gateway names a resource path with "/" written "~1".
        [own] = [s for s in settings if s["ResourcePath"] == "/" + path.replace("/", "~1")]
        assert own["HttpMethod"] == "GET"
        assert own["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
        assert own["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"]
