"""Benchmarks for the goals in README.md, "What is measured" (``make bench``): measured, never asserted in timed tests.

1. Webhook ack latency: POST /webhooks/zoho/salesorders on the local stack, next to a bare
   SQS SendMessage to the same moto server in the same run (the ack must stay within 1.5x).
2. Cold start: importing each handler in a fresh interpreter, next to the unavoidable imports
   (boto3, requests, pydantic, Powertools Logger/Metrics/Tracer) in the same environment.
3. API economy: Shiprocket and Zoho calls per shipped order, from the simulators' counts; and the calls to ship
   one order as 1, 2 and 3 parcels (two warehouses, then a box over the weight limit).
4. Hostile input: the HTTP fuzz (``python -m local.fuzz``, 6,000 requests over the five routes of a
   fresh stack, its own process): answers by status, 5xx (goal 0), transport errors, provider writes.
5. A bad day: the chaos day (``python -m local.sample_day --chaos 0.1 --orders 160``, its own process):
   faults injected, token mints, lost / duplicated / dead-lettered work (goal 0 each), wall time.

Prints a table and writes ``reports/bench.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from local.sample_day.sims import sim_get, sim_post
from local.stack import LocalStack

if TYPE_CHECKING:
    from local.sample_data.day import SampleDay

REPO_ROOT = Path(__file__).resolve().parent.parent
HANDLERS = {
    "order-confirmed": REPO_ROOT / "functions/order_confirmed/app.py",
    "token-refresh": REPO_ROOT / "functions/token_refresh/app.py",
    "shipment-status": REPO_ROOT / "functions/shipment_status/app.py",
    "rto-restock": REPO_ROOT / "functions/rto_restock/app.py",
    "cod-remittance": REPO_ROOT / "functions/cod_remittance/app.py",
}
# The unavoidable part: the imports, Powertools core set up, and pydantic's model machinery,
# which pydantic loads lazily on the first BaseModel subclass (~40 ms here) whoever defines it.
BASELINE = (
    "import boto3, requests, pydantic\n"
    "from aws_lambda_powertools import Logger, Metrics, Tracer\n"
    "Logger(service='bench'); Metrics(namespace='bench'); Tracer(service='bench')\n"
    "class First(pydantic.BaseModel):\n    field: int = 0\n"
)
IMPORT_PROBE = """
import importlib.util, sys, time
sys.path.insert(0, {layer!r})
t0 = time.perf_counter()
exec({baseline!r})
t1 = time.perf_counter()
if {handler!r}:
    spec = importlib.util.spec_from_file_location("handler", {handler!r})
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
t2 = time.perf_counter()
print((t1 - t0) * 1000, (t2 - t1) * 1000)
"""


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": round(percentile(samples, 50), 2),
        "p99_ms": round(percentile(samples, 99), 2),
        "mean_ms": round(statistics.fmean(samples), 2),
    }


def import_times(runs: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, path in HANDLERS.items():
        baseline: list[float] = []
        extra: list[float] = []
        for _ in range(runs):
            code = IMPORT_PROBE.format(layer=str(REPO_ROOT / "layers/shared"), baseline=BASELINE, handler=str(path))
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
            )
            base_ms, extra_ms = (float(v) for v in out.stdout.split()[-2:])
            baseline.append(base_ms)
            extra.append(extra_ms)
        results[name] = {
            "baseline_ms_median": round(statistics.median(baseline), 1),
            "handler_extra_ms_median": round(statistics.median(extra), 1),
        }
    return results


def ack_latency(stack: LocalStack, deliveries: list[dict[str, Any]], count: int) -> dict[str, Any]:
    """Re-post the (already shipped) sample day's webhooks: each takes the real route
    (authenticate, validate, enqueue) and its job is a ledger no-op, so the workers add only
    light load. Each post is paired with a bare SendMessage to the same queue."""
    import boto3

    session = requests.Session()
    url = f"{stack.api_url}/webhooks/zoho/salesorders"
    headers = {"x-api-key": stack.tokens["zoho_webhook"], "content-type": "application/json"}
    sqs = boto3.client("sqs")
    queue_url = stack.queue_url("OrderQueue")
    ack: list[float] = []
    bare: list[float] = []
    for i in range(count):
        body = json.dumps(deliveries[i % len(deliveries)]["body"])
        started = time.perf_counter()
        response = session.post(url, data=body, headers=headers, timeout=10)
        ack.append((time.perf_counter() - started) * 1000)
        if response.status_code != 202:
            raise RuntimeError(f"webhook answered {response.status_code}: {response.text}")
        started = time.perf_counter()
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
        bare.append((time.perf_counter() - started) * 1000)
    ack_summary, bare_summary = summary(ack), summary(bare)
    return {
        "webhook_ack": ack_summary,
        "bare_sqs_send": bare_summary,
        "ratio_p50": round(ack_summary["p50_ms"] / bare_summary["p50_ms"], 2),
        "ratio_p99": round(ack_summary["p99_ms"] / bare_summary["p99_ms"], 2),
    }


# A 25 kg item: two of them exceed the courier rules' 30 kg box, so they travel as two parcels.
HEAVY_ITEM = {
    "item_id": "1947583000000079001",
    "name": "Anvil 25kg",
    "sku": "BENCH-ANVIL-25",
    "rate": 3000.0,
    "hsn_or_sac": "82055900",
    "product_type": "goods",
    "stock_on_hand": 100,
    "package_details": {"length": 30, "width": 20, "height": 20, "weight": 25, "weight_unit": "kg"},
}


def parcel_economy(stack: LocalStack, day: SampleDay) -> dict[str, Any]:
    """Ship one prepaid order as 1, 2 and 3 parcels and count each provider's calls (tokens left out): the goal is
    Shiprocket 2 per parcel, Zoho as few extra per parcel as the per-parcel package and shipment order allow."""
    from local.sample_data.catalogue import WAREHOUSES
    from local.sample_day.records import SHIPROCKET_AUTH_ENDPOINTS, ZOHO_AUTH_ENDPOINTS, delta

    template = day.zoho_seed["salesorders"][0]
    items = [item for item in day.zoho_seed["items"] if item["item_id"] == template["line_items"][0]["item_id"]]
    central, hadapsar = list(WAREHOUSES)
    light = {**template["line_items"][0], "quantity": 1, "quantity_packed": 0}
    heavy = {
        **light,
        "item_id": HEAVY_ITEM["item_id"],
        "sku": HEAVY_ITEM["sku"],
        "name": HEAVY_ITEM["name"],
        "rate": HEAVY_ITEM["rate"],
    }

    def at(line: dict[str, Any], location_id: str, suffix: str, quantity: int = 1) -> dict[str, Any]:
        line_id = f"{line['line_item_id'][:-2]}{suffix}"
        name = WAREHOUSES[location_id]["location_name"]
        total = line["rate"] * quantity
        return {**line, "line_item_id": line_id, "quantity": quantity, "item_total": total} | {
            "location_id": location_id,
            "location_name": name,
        }

    shapes = {
        1: [at(light, central, "71")],
        2: [at(light, central, "71"), at(light, hadapsar, "72")],
        3: [at(light, central, "71"), at(heavy, hadapsar, "73", quantity=2)],
    }
    figures: dict[str, Any] = {}
    for parcels, lines in shapes.items():
        stack.reset()
        number = 90_000 + parcels
        sub_total = sum(line["item_total"] for line in lines)
        order = {
            **template,
            "salesorder_id": f"19475830009{number:08d}",
            "salesorder_number": f"SO-{number}",
            "line_items": lines,
            "sub_total": sub_total,
            "tax_total": round(sub_total * 0.12, 2),
            "total": round(sub_total * 1.12, 2),
            "custom_fields": [
                {**field, "value": "Prepaid"} if field.get("api_name") == "cf_payment_method" else field
                for field in template["custom_fields"]
            ],
        }
        sim_post(stack.zoho_url, "/_sim/seed", {"salesorders": [order], "items": [*items, HEAVY_ITEM]})
        before = _provider_calls(stack)
        body = {"salesorder": {key: order[key] for key in ("salesorder_id", "salesorder_number", "order_status")}}
        headers = {"x-api-key": stack.tokens["zoho_webhook"]}
        answer = requests.post(f"{stack.api_url}/webhooks/zoho/salesorders", json=body, headers=headers, timeout=10)
        if answer.status_code != 202:
            raise RuntimeError(f"webhook answered {answer.status_code}: {answer.text}")
        stack.wait_idle(120)
        after = _provider_calls(stack)
        shipped = [
            o
            for o in sim_get(stack.shiprocket_url, "/_sim/state")["orders"]
            if o["order_id"].startswith(order["salesorder_number"])
        ]
        if len(shipped) != parcels:
            raise RuntimeError(f"{order['salesorder_number']} shipped as {len(shipped)} parcels, not {parcels}")
        figure: dict[str, Any] = {}
        for provider, auth in (("zoho", ZOHO_AUTH_ENDPOINTS), ("shiprocket", SHIPROCKET_AUTH_ENDPOINTS)):
            spent = {name: n for name, n in delta(after[provider], before[provider]).items() if name not in auth}
            figure |= {provider: sum(spent.values()), f"{provider}_by_endpoint": spent}
        figures[f"{parcels}_parcels"] = figure
    return figures


def _provider_calls(stack: LocalStack) -> dict[str, dict[str, int]]:
    """Per provider, the simulator's calls per endpoint so far."""
    return {
        provider: sim_get(url, "/_sim/state")["calls"]
        for provider, url in (("zoho", stack.zoho_url), ("shiprocket", stack.shiprocket_url))
    }


def _report_of(command: list[str], report: Path) -> dict[str, Any]:
    """Run one of the local tools in its own process (its own stack, its own port) and read its JSON report."""
    done = subprocess.run([sys.executable, *command, "--report", str(report)], cwd=REPO_ROOT, check=False)
    document: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    document["exit_code"] = done.returncode
    return document


def fuzz_run(requests_count: int) -> dict[str, Any]:
    report = _report_of(["-m", "local.fuzz", "--requests", str(requests_count)], REPO_ROOT / "reports/bench-fuzz.json")
    keep = ("ok", "requests", "five_xx", "transport_errors", "by_route", "provider_writes", "dead_letters", "seconds")
    return {key: report[key] for key in keep} | {"exit_code": report["exit_code"]}


def chaos_run(orders: int) -> dict[str, Any]:
    command = ["-m", "local.sample_day", "--port", "0", "--chaos", "0.1", "--orders", str(orders)]
    report = _report_of(command, REPO_ROOT / "reports/bench-chaos.json")
    chaos = report["chaos"]
    return {
        "ok": chaos["ok"],
        "orders": chaos["orders"],
        "provider_calls": chaos["provider_calls"],
        "faults_injected": chaos["faults_injected"]["total"],
        "fault_share": chaos["fault_share"],
        "token_mints": chaos["token_mints"],
        **{kind: chaos[kind]["count"] for kind in ("lost", "duplicates", "dlq")},
        "seconds": round(report["timings_s"]["total"], 1),
        "exit_code": report["exit_code"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="webhook posts for the latency figures")
    parser.add_argument("--import-runs", type=int, default=7, help="fresh interpreters per handler")
    parser.add_argument("--fuzz-requests", type=int, default=6000, help="hostile requests of the HTTP fuzz")
    parser.add_argument("--chaos-orders", type=int, default=160, help="orders of the chaos day")
    parser.add_argument("--report", default="reports/bench.json")
    args = parser.parse_args(argv)

    results: dict[str, Any] = {"cold_start": import_times(args.import_runs)}
    from local.sample_data import load
    from local.sample_day import ZOHO_LIMIT_SCALE, run_sample_day, scaled_local_stack

    with scaled_local_stack(0, ZOHO_LIMIT_SCALE) as stack:
        day = load()
        report = run_sample_day(stack, day)
        results["sample_day_ok"] = report["ok"]
        results["api_calls"] = report["api_calls"]
        results["latency"] = ack_latency(stack, day.webhooks, args.requests)
        results["calls_per_parcel"] = parcel_economy(stack, day)

    results["fuzz"] = fuzz_run(args.fuzz_requests)
    results["chaos_day"] = chaos_run(args.chaos_orders)

    print(json.dumps(results, indent=2))
    path = Path(args.report)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
