"""Benchmarks for the goals in README.md, "What is measured" (``make bench``): measured, never asserted in timed tests.

1. Webhook ack latency: POST /webhooks/zoho/salesorders on the local stack, next to a bare
   SQS SendMessage to the same moto server in the same run (the ack must stay within 1.5x).
2. Cold start: importing each handler in a fresh interpreter, next to the unavoidable imports
   (boto3, requests, pydantic, Powertools Logger/Metrics/Tracer) in the same environment.
3. API economy: Shiprocket and Zoho calls per shipped order, from the simulators' counts; Zoho calls per order
   lifecycle next to issue 16's goals (confirm <= 3, delivered prepaid <= 6, delivered and remitted COD <= 8,
   RTO <= 12); and the calls to ship one order as 1, 2 and 3 parcels (two warehouses, then a box over the weight
   limit).
4. Hostile input: the HTTP fuzz (``python -m local.fuzz``, 6,000 requests over the five routes of a
   fresh stack, its own process): answers by status, 5xx (goal 0), transport errors, provider writes.
5. A bad day: the chaos day (``python -m local.sample_day --chaos 0.1 --orders 160``, its own process):
   faults injected, token mints, lost / duplicated / dead-lettered work (goal 0 each), wall time.
6. The built artifact (``make build``): order-confirmed's handler import from copies of the built layer and function,
   read-only and with no cache written, as shipped (hash-based bytecode), with every .pyc removed, and from a warm
   cache, side by side in the same run (goal: shipped within 1.2x of warm); the layer's content no handler imports;
   the zipped size of each function package and of the layer. ``--built-artifact-only`` runs only this part.

Prints a table and writes ``reports/bench.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import stat
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from local import lambda_build
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


# ----- 6. The built artifact (issue 16.3) -----

BUILD_DIR = REPO_ROOT / ".aws-sam/build"
BUILT_FUNCTIONS = {
    "order-confirmed": "OrderConfirmedFunction",
    "token-refresh": "TokenRefreshFunction",
    "shipment-status": "ShipmentStatusFunction",
    "rto-restock": "RtoRestockFunction",
    "cod-remittance": "CodRemittanceFunction",
}
BUILT_LAYER = "SharedLayer"
MEASURED_FUNCTION = "OrderConfirmedFunction"
COLD_IMPORT_GOAL = 1.2
# Lambda's own limit on a function's code plus its layers, unzipped.
UNZIPPED_LIMIT_MB = 250
# What of Lambda's environment changes the handler import: Powertools' Tracer is on only with LAMBDA_TASK_ROOT (then
# aws_xray_sdk patches botocore and requests at import, as in the deployed functions with Tracing: Active).
LAMBDA_ENV = {
    "AWS_REGION": "ap-south-1",
    "AWS_DEFAULT_REGION": "ap-south-1",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    "AWS_LAMBDA_FUNCTION_NAME": "shipsync-bench-order-confirmed",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "POWERTOOLS_SERVICE_NAME": "order-confirmed",
    "POWERTOOLS_METRICS_NAMESPACE": "shipsync",
    "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
    "LANG": "C.UTF-8",
}
# /var/task then /opt/python first on sys.path, as Lambda's bootstrap puts them; the wall clock spans `import app`
# only (the interpreter's own start is the same in every variant).
ARTIFACT_PROBE = """
import json, sys, time
sys.path[:0] = [{task!r}, {layer!r}]
t0 = time.perf_counter()
import app
t1 = time.perf_counter()
prefix = {layer!r} + "/"
names = {{
    n.partition(".")[0] for n, m in list(sys.modules.items()) if (getattr(m, "__file__", None) or "").startswith(prefix)
}}
print(json.dumps({{"ms": (t1 - t0) * 1000, "app": app.__file__, "layer_modules": sorted(names)}}))
"""
VARIANTS = {
    "shipped": "(a) as shipped, hash-based bytecode",
    "no_bytecode": "(b) the same files, every .pyc removed",
    "warm_cache": "(c) warm cache (a normal import wrote it)",
}


def _quiet_make_env() -> dict[str, str]:
    """The environment without the calling make's flags (``make bench`` runs this bench)."""
    return {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}


def _make_build() -> float:
    """``make build``, the one build command (SAM's cache makes a repeat cheap); its wall time in seconds."""
    started = time.perf_counter()
    done = subprocess.run(["make", "build"], cwd=REPO_ROOT, capture_output=True, text=True, env=_quiet_make_env())
    if done.returncode != 0:
        raise RuntimeError(f"make build failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return round(time.perf_counter() - started, 1)


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in _files(root)) if root.is_dir() else root.stat().st_size


def _loads_here(python: str, layer: Path) -> bool:
    """Whether ``python`` can load the layer's native extensions (the layer is built for Lambda's architecture)."""
    probe = "import importlib.machinery as m, json; print(json.dumps(m.EXTENSION_SUFFIXES))"
    suffixes = json.loads(
        subprocess.run([python, "-I", "-c", probe], capture_output=True, text=True, check=True).stdout
    )
    for so in layer.rglob("*.so"):
        module = so.name.partition(".")[0]
        if not any(so.name == module + suffix for suffix in suffixes):
            return False
    return True


def _normalised(root: Path) -> set[str]:
    """The relative paths of a layer's files, the architecture taken out of native extensions' names."""
    names = set()
    for path in _files(root):
        name = str(path.relative_to(root))
        for arch in ("aarch64", "x86_64"):
            name = name.replace(f"-{arch}-linux-gnu", "-ARCH-linux-gnu")
        names.add(name)
    return names


def _loadable_layer(python: str, scratch: Path) -> tuple[Path, dict[str, Any]]:
    """The built layer, or, when this machine cannot load its native wheels (it is built for arm64), the same build
    (layers/shared/Makefile, the same pins and compileall) for this machine's architecture."""
    built = BUILD_DIR / BUILT_LAYER
    if _loads_here(python, built / "python"):
        return built, {"layer": "as built by make build"}
    arch = lambda_build.host_arch()
    command = [
        "make",
        "-s",
        "-f",
        "Makefile",
        f"build-{BUILT_LAYER}",
        f"ARTIFACTS_DIR={scratch}",
        f"LAMBDA_ARCH={arch}",
        f"LAMBDA_PYTHON={python}",
    ]
    done = subprocess.run(
        command, cwd=REPO_ROOT / "layers/shared", capture_output=True, text=True, env=_quiet_make_env()
    )
    if done.returncode != 0:
        raise RuntimeError(f"layer build for {arch} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    shipped, twin = _normalised(built), _normalised(scratch)
    differing = sorted(shipped ^ twin)
    return scratch, {
        "layer": f"the built layer's native wheels are not for this machine: rebuilt by its Makefile for {arch}",
        "files_differing_from_built": len(differing),
        "differing_sample": differing[:10],
    }


def _make_read_only(root: Path) -> None:
    for path in [*root.rglob("*"), root]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _make_writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def _strip_bytecode(root: Path) -> None:
    for cache in [p for p in root.rglob("__pycache__") if p.is_dir()]:
        shutil.rmtree(cache)
    for pyc in root.rglob("*.pyc"):
        pyc.unlink()


def _pyc_count(root: Path) -> int:
    return sum(1 for _ in root.rglob("*.pyc"))


def _artifact_probe(python: str, task: Path, layer: Path, *, write_cache: bool = False) -> dict[str, Any]:
    """Import the handler in a fresh interpreter: isolated (-I), without site-packages (-S), and writing no bytecode
    (-B) unless it is to write the warm cache."""
    flags = ["-I", "-S"] if write_cache else ["-I", "-S", "-B"]
    code = ARTIFACT_PROBE.format(task=str(task), layer=str(layer))
    env = {"PATH": os.environ.get("PATH", ""), "LAMBDA_TASK_ROOT": str(task), **LAMBDA_ENV}
    out = subprocess.run([python, *flags, "-c", code], capture_output=True, text=True, env=env, cwd=task)
    if out.returncode != 0:
        raise RuntimeError(f"handler import from {task} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.splitlines()[-1])
    if not str(result["app"]).startswith(str(task)):
        raise RuntimeError(f"app came from {result['app']}, not {task}")
    return result


def _zipped(root: Path) -> dict[str, Any]:
    """The package as sam package zips it (deflate): sizes in KiB."""
    buffer = io.BytesIO()
    files = sorted(_files(root))
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, str(path.relative_to(root)))
    return {
        "zipped_kib": round(buffer.getbuffer().nbytes / 1024, 1),
        "unzipped_kib": round(sum(p.stat().st_size for p in files) / 1024, 1),
        "files": len(files),
    }


def _layer_content(python: str, layer: Path, scratch: Path) -> dict[str, Any]:
    """What of the layer no handler imports: each built function's handler imported once, the layer's top-level
    modules that none of them loaded listed with their size; and what the build should have dropped, if left."""
    imported: set[str] = set()
    for logical_id in BUILT_FUNCTIONS.values():
        task = scratch / logical_id
        shutil.copytree(BUILD_DIR / logical_id, task)
        imported |= set(_artifact_probe(python, task, layer)["layer_modules"])
    built = BUILD_DIR / BUILT_LAYER / "python"
    top_level = {
        entry.name.removesuffix(".py"): entry
        for entry in built.iterdir()
        if entry.name != "__pycache__" and not entry.name.endswith(".dist-info")
    }
    unused = {name: round(_size(path) / 1024) for name, path in sorted(top_level.items()) if name not in imported}
    dist_info = [p for p in built.glob("*.dist-info") if p.is_dir()]
    left = sorted(
        str(p.relative_to(built))
        for p in [
            built / "bin",
            *built.glob("*-stubs"),
            *built.rglob("*.pyi"),
            *built.rglob("*.c"),
            *(f for d in dist_info for f in d.iterdir() if f.name in lambda_build.DIST_INFO_DROPPED),
        ]
        if p.exists()
    )
    botocore_data = built / "botocore/data"
    return {
        "not_imported_by_any_handler_kib": unused,
        "not_imported_note": (
            "kept: imported after the handler's import, at run time (e.g. shipsync.adapters.aws imports boto3 at "
            "the first AWS client, boto3 imports s3transfer for S3 transfers)"
        ),
        "dist_info_kept_kib": round(sum(_size(d) for d in dist_info) / 1024),
        "left_that_the_build_drops": left,
        "botocore_data": {
            "kib": round(_size(botocore_data) / 1024) if botocore_data.exists() else 0,
            "services": sum(1 for p in botocore_data.iterdir() if p.is_dir()) if botocore_data.exists() else 0,
            "note": "kept whole: a client for a service left out fails at run time, not at import or in tests",
        },
    }


def built_artifact(runs: int) -> dict[str, Any]:
    """Issue 16.3: the built handler import with and without bytecode and from a warm cache, same run; the layer's
    unused content; the package sizes."""
    python = lambda_build.find_python((3, 12))
    if python is None:
        return {"skipped": "no python3.12 on PATH or in pyenv (make build needs one as well)"}
    results: dict[str, Any] = {"python": python, "make_build_s": _make_build()}
    with tempfile.TemporaryDirectory(prefix="shipsync-artifact-") as tmp:
        scratch = Path(tmp)
        layer, origin = _loadable_layer(python, scratch / "layer-here")
        results |= origin
        bases: dict[str, Path] = {}
        try:
            for name in VARIANTS:
                base = bases[name] = scratch / name
                shutil.copytree(layer / "python", base / "opt/python")
                shutil.copytree(BUILD_DIR / MEASURED_FUNCTION, base / "var/task")
                if name != "shipped":
                    _strip_bytecode(base)
                if name == "warm_cache":
                    _artifact_probe(python, base / "var/task", base / "opt/python", write_cache=True)
                _make_read_only(base)
            pyc_before = {name: _pyc_count(base) for name, base in bases.items()}
            samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
            for _ in range(runs):
                # Interleaved, so that each variant meets the same machine.
                for name, base in bases.items():
                    samples[name].append(_artifact_probe(python, base / "var/task", base / "opt/python")["ms"])
            written = {name: _pyc_count(base) - pyc_before[name] for name, base in bases.items()}
            if any(written.values()):
                raise RuntimeError(f"a measured import wrote bytecode: {written}")
            results["layer_content"] = _layer_content(python, bases["shipped"] / "opt/python", scratch / "tasks")
        finally:
            for base in bases.values():
                _make_writable(base)
    medians = {name: round(statistics.median(values), 1) for name, values in samples.items()}
    ratio = round(medians["shipped"] / medians["warm_cache"], 2)
    results["handler_import_ms_median"] = medians
    results["runs"] = runs
    results["pyc_files"] = pyc_before
    results["shipped_over_warm"] = ratio
    results["goal_met"] = ratio <= COLD_IMPORT_GOAL
    packages = {name: _zipped(BUILD_DIR / logical_id) for name, logical_id in BUILT_FUNCTIONS.items()}
    packages["layer"] = _zipped(BUILD_DIR / BUILT_LAYER)
    results["package_sizes"] = packages
    return results


def _print_built_artifact(results: dict[str, Any]) -> None:
    """The section as a table (printed last, above the JSON, where the stack's logs do not bury it)."""
    if "skipped" in results:
        print(f"Built artifact: skipped, {results['skipped']}")
        return
    medians, runs = results["handler_import_ms_median"], results["runs"]
    print(f"Built artifact: order-confirmed handler import, python3.12, median of {runs}, no cache written")
    print(f"  make build {results['make_build_s']} s; layer {results['layer']}")
    for name, label in VARIANTS.items():
        print(f"  {label:<45} {medians[name]:>8.1f} ms  ({results['pyc_files'][name]} .pyc)")
    verdict = "met" if results["goal_met"] else "NOT met"
    print(f"  (a)/(c) = {results['shipped_over_warm']}  goal <= {COLD_IMPORT_GOAL}: {verdict}")
    print(f"  (b)/(a) = {round(medians['no_bytecode'] / medians['shipped'], 2)}  what the bytecode saves")
    content = results["layer_content"]
    unused = ", ".join(f"{name} {kib} KiB" for name, kib in content["not_imported_by_any_handler_kib"].items())
    print(f"  layer, imported by no handler: {unused or 'nothing'} ({content['not_imported_note']})")
    print(f"  layer, left that the build drops: {', '.join(content['left_that_the_build_drops']) or 'nothing'}")
    data = content["botocore_data"]
    print(
        f"  layer, dist-info kept {content['dist_info_kept_kib']} KiB; botocore/data {data['kib']} KiB for "
        f"{data['services']} services ({data['note']})"
    )
    packages = results["package_sizes"]
    width = max(len(name) for name in packages)
    for name, size in packages.items():
        print(f"  {name:<{width}}  {size['zipped_kib']:>9.1f} KiB zipped  {size['unzipped_kib']:>9.1f} KiB unzipped")
    largest = max(size["unzipped_kib"] for name, size in packages.items() if name != "layer")
    total_mb = (packages["layer"]["unzipped_kib"] + largest) / 1024
    print(f"  largest function + layer unzipped {total_mb:.1f} MB of Lambda's {UNZIPPED_LIMIT_MB} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="webhook posts for the latency figures")
    parser.add_argument("--import-runs", type=int, default=7, help="fresh interpreters per handler")
    parser.add_argument("--fuzz-requests", type=int, default=6000, help="hostile requests of the HTTP fuzz")
    parser.add_argument("--chaos-orders", type=int, default=160, help="orders of the chaos day")
    parser.add_argument("--artifact-runs", type=int, default=5, help="fresh interpreters per built-artifact variant")
    parser.add_argument(
        "--built-artifact-only",
        action="store_true",
        help="only the built artifact's figures (make build, cold import, layer content, package sizes)",
    )
    parser.add_argument("--report", default=None, help="default reports/bench.json (-built-artifact.json with --only)")
    args = parser.parse_args(argv)

    if args.built_artifact_only:
        artifact = built_artifact(args.artifact_runs)
        _print_built_artifact(artifact)
        return _write({"built_artifact": artifact}, args.report or BUILT_ARTIFACT_REPORT)
    results: dict[str, Any] = {"cold_start": import_times(args.import_runs)}
    results["built_artifact"] = built_artifact(args.artifact_runs)
    from local.sample_data import load
    from local.sample_day import ZOHO_LIMIT_SCALE, run_sample_day, scaled_local_stack

    with scaled_local_stack(0, ZOHO_LIMIT_SCALE) as stack:
        day = load()
        report = run_sample_day(stack, day)
        results["sample_day_ok"] = report["ok"]
        results["api_calls"] = report["api_calls"]
        results["zoho_calls_per_lifecycle"] = zoho_lifecycles(report)
        results["latency"] = ack_latency(stack, day.webhooks, args.requests)
        results["calls_per_parcel"] = parcel_economy(stack, day)

    results["fuzz"] = fuzz_run(args.fuzz_requests)
    results["chaos_day"] = chaos_run(args.chaos_orders)

    _print_built_artifact(results["built_artifact"])
    _print_zoho_lifecycles(results["zoho_calls_per_lifecycle"])
    return _write(results, args.report or "reports/bench.json")


# Issue 16's goals: Zoho calls per order lifecycle on the sample day.
ZOHO_LIFECYCLE_GOALS = {"confirm": 3, "delivered_prepaid": 6, "delivered_and_remitted_cod": 8, "rto": 12}


def zoho_lifecycles(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The sample day's Zoho calls per lifecycle (its report's phases over the orders that lived them), each
    next to its goal. A delivered COD order's lifecycle is a delivered one plus its remittance's calls."""
    lifecycles = report["zoho_calls_per_lifecycle"]
    remitted = report["remittance"].get("zoho_calls_per_remitted_order")
    figures = {
        "confirm": lifecycles["confirm"],
        "delivered_prepaid": lifecycles["delivered"]["total"],
        "delivered_and_remitted_cod": (
            round(lifecycles["delivered"]["total"] + remitted, 2) if remitted is not None else None
        ),
        "rto": lifecycles["rto"]["total"],
    }
    return {
        name: {"calls": value, "goal": ZOHO_LIFECYCLE_GOALS[name], "met": value is not None and value <= goal}
        for name, value in figures.items()
        for goal in [ZOHO_LIFECYCLE_GOALS[name]]
    }


def _print_zoho_lifecycles(figures: dict[str, dict[str, Any]]) -> None:
    print("Zoho calls per order lifecycle (sample day)")
    for name, row in figures.items():
        mark = "ok" if row["met"] else "over"
        print(f"  {name:28} {row['calls']!s:>6}  goal <= {row['goal']:<3} {mark}")


BUILT_ARTIFACT_REPORT = "reports/bench-built-artifact.json"


def _write(results: dict[str, Any], report: str) -> int:
    print(json.dumps(results, indent=2))
    path = Path(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
