"""The Lambda packages ship compiled bytecode (issue 16.3).

Every function and the layer build through ``BuildMethod: makefile``: the Makefile in its CodeUri / ContentUri has
the ``build-<LogicalId>`` target, which copies the sources (local/lambda_build.py) and compiles them with
``compileall --invalidation-mode unchecked-hash``. The real targets run here over small fake source trees (no pip,
no ``sam build``): the .pyc files are hash-based and unchecked, load whatever the sources' timestamps, and nothing of
a dev run or of tests/ travels.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from local import lambda_build

REPO_ROOT = Path(__file__).resolve().parents[2]
Template = dict[str, Any]

# The pyc header's flags word (PEP 552): bit 0 hash-based, bit 1 check_source. Unchecked hash: 0b01.
UNCHECKED_HASH = 0b01


def _serverless(template: Template) -> dict[str, tuple[str, Template]]:
    kinds = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}
    return {
        logical_id: (kinds[resource["Type"]], resource)
        for logical_id, resource in template["Resources"].items()
        if isinstance(resource, dict) and resource.get("Type") in kinds
    }


def _recipe(makefile: Path, target: str) -> list[str] | None:
    """The recipe lines of TARGET in MAKEFILE (None: no such target)."""
    lines = makefile.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(rf"^{re.escape(target)}\s*:(?!=)", line):
            recipe = []
            for following in lines[i + 1 :]:
                if not following.startswith("\t"):
                    break
                recipe.append(following.strip())
            return recipe
    return None


def _variable(makefile: Path, name: str) -> str | None:
    match = re.search(rf"^{name}\s*\??:?=\s*(\S+)", makefile.read_text(encoding="utf-8"), re.MULTILINE)
    return match[1] if match else None


def check_bytecode_builds(template: Template, root: Path = REPO_ROOT) -> list[str]:
    """Every function and layer: BuildMethod makefile; its Makefile's build-<LogicalId> copies with
    local/lambda_build.py for the template's runtime, then compiles unchecked-hash bytecode; the layer for the
    template's architecture."""
    violations: list[str] = []
    function_globals = template.get("Globals", {}).get("Function", {})
    for logical_id, (uri_key, resource) in sorted(_serverless(template).items()):
        props, metadata = resource.get("Properties", {}), resource.get("Metadata") or {}
        if metadata.get("BuildMethod") != "makefile":
            violations.append(f"{logical_id}: Metadata BuildMethod is {metadata.get('BuildMethod')!r}, not makefile")
            continue
        makefile = root / str(props.get(uri_key, "")) / "Makefile"
        if not makefile.is_file():
            violations.append(f"{logical_id}: no Makefile in its {uri_key}")
            continue
        recipe = _recipe(makefile, f"build-{logical_id}")
        if recipe is None:
            violations.append(f"{logical_id}: {makefile.relative_to(root)} has no build-{logical_id} target")
            continue
        text = "\n".join(recipe)
        if "compileall" not in text or "--invalidation-mode unchecked-hash" not in text:
            violations.append(
                f"{logical_id}: build-{logical_id} does not compileall --invalidation-mode unchecked-hash"
            )
        if "local/lambda_build.py" not in text:
            violations.append(f"{logical_id}: build-{logical_id} does not copy with local/lambda_build.py")
        if resource["Type"] == "AWS::Serverless::Function":
            runtime = props.get("Runtime", function_globals.get("Runtime"))
        else:
            runtime = (props.get("CompatibleRuntimes") or [None])[0]
        if f"--runtime {runtime}" not in text:
            violations.append(f"{logical_id}: build-{logical_id} does not build for {runtime}")
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            architectures = props.get("CompatibleArchitectures") or ["x86_64"]
            arch = _variable(makefile, "LAMBDA_ARCH")
            if [arch] != architectures or metadata.get("BuildArchitecture") != arch:
                violations.append(
                    f"{logical_id}: LAMBDA_ARCH {arch} vs CompatibleArchitectures {architectures} / "
                    f"BuildArchitecture {metadata.get('BuildArchitecture')}"
                )
            if "--arch $(LAMBDA_ARCH)" not in text:
                violations.append(f"{logical_id}: build-{logical_id} does not pass --arch $(LAMBDA_ARCH)")
    return violations


def test_every_function_and_the_layer_build_bytecode(source_template: Template) -> None:
    assert check_bytecode_builds(source_template) == []
    assert len(_serverless(source_template)) == 6


def test_the_functions_run_on_the_layers_architecture(source_template: Template) -> None:
    architectures = source_template["Globals"]["Function"]["Architectures"]
    layer_makefile = REPO_ROOT / "layers/shared/Makefile"
    assert [_variable(layer_makefile, "LAMBDA_ARCH")] == architectures


def _broken_recipe(root: Path) -> None:
    makefile = root / "functions/order_confirmed/Makefile"
    makefile.write_text(makefile.read_text().replace("unchecked-hash", "timestamp"))


def _broken_target(root: Path) -> None:
    makefile = root / "functions/token_refresh/Makefile"
    makefile.write_text(makefile.read_text().replace("build-TokenRefreshFunction:", "build-Token:"))


@pytest.mark.parametrize("breakage", [_broken_recipe, _broken_target])
def test_check_reports_a_broken_makefile(source_template: Template, tmp_path: Path, breakage: Any) -> None:
    for _, (uri_key, resource) in _serverless(source_template).items():
        uri = resource["Properties"][uri_key]
        (tmp_path / uri).mkdir(parents=True)
        (tmp_path / uri / "Makefile").write_text((REPO_ROOT / uri / "Makefile").read_text())
    assert check_bytecode_builds(source_template, tmp_path) == []
    breakage(tmp_path)
    assert len(check_bytecode_builds(source_template, tmp_path)) == 1


def test_check_reports_a_function_left_to_sams_python_builder(source_template: Template) -> None:
    broken = copy.deepcopy(source_template)
    broken["Resources"]["RtoRestockFunction"]["Metadata"] = {"BuildMethod": "python3.12"}
    del broken["Resources"]["SharedLayer"]["Metadata"]
    assert [v.split(":")[0] for v in check_bytecode_builds(broken)] == ["RtoRestockFunction", "SharedLayer"]


# ----- the real targets over fake source trees -----


@pytest.fixture(scope="module")
def python312() -> str:
    found = lambda_build.find_python((3, 12))
    if found is None:
        pytest.skip("no python3.12 (make build needs one too)")
    return found


def _fake_tree(root: Path) -> None:
    """Sources, plus what a dev run and the repository leave around that must not travel."""
    files = {
        "app.py": "from pkg.mod import VALUE\n\ndef lambda_handler(event, context):\n    return VALUE\n",
        "pkg/__init__.py": "",
        "pkg/mod.py": "VALUE = 'compiled'\n",
        "pkg/rules.json": "{}\n",
        "pkg/__pycache__/mod.cpython-312.pyc": "stale bytecode of a dev run",
        "pkg/gone.pyc": "a legacy pyc without source, importable if it travelled",
        "tests/test_app.py": "def test_nothing():\n    pass\n",
        "local/tool.py": "",
        "conftest.py": "",
        ".hypothesis/examples/x": "",
        ".mypy_cache/x.json": "{}",
        "Makefile": "# a copy of the target's Makefile sits in sam build's scratch copy\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def _run_target(makefile: Path, target: str, src: Path, dest: Path, python: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    command = ["make", "-s", "-f", str(makefile), target, f"ARTIFACTS_DIR={dest}", f"LAMBDA_PYTHON={python}"]
    subprocess.run(command, cwd=src, env=env, check=True, capture_output=True, timeout=60)


def _magic(python: str) -> bytes:
    out = subprocess.run(
        [python, "-I", "-c", "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return bytes.fromhex(out.stdout)


def _assert_unchecked_bytecode(package: Path, python: str, prefix: str) -> None:
    sources = sorted(package.rglob("*.py"))
    assert sources
    magic, tag = _magic(python), _cache_tag(python)
    for source in sources:
        pyc = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        header = pyc.read_bytes()[:16]
        assert header[:4] == magic, pyc
        assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH, pyc
    probe = "import marshal, sys; data = open(sys.argv[1], 'rb').read(); print(marshal.loads(data[16:]).co_filename)"
    app_pyc = next(package.rglob(f"__pycache__/*.{tag}.pyc"))
    out = subprocess.run([python, "-I", "-c", probe, str(app_pyc)], capture_output=True, text=True, check=True)
    assert out.stdout.strip().startswith(prefix + "/")


def _cache_tag(python: str) -> str:
    """``cpython-312``: the name part of the .pyc files that interpreter loads."""
    out = subprocess.run(
        [python, "-I", "-c", "import sys; print(sys.implementation.cache_tag)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_function_target_copies_the_sources_only_and_compiles_unchecked_hash(tmp_path: Path, python312: str) -> None:
    src, dest = tmp_path / "src", tmp_path / "artifact"
    _fake_tree(src)
    makefile = REPO_ROOT / "functions/order_confirmed/Makefile"
    _run_target(makefile, "build-OrderConfirmedFunction", src, dest, python312)

    shipped = {str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert shipped == {"app.py", "pkg/__init__.py", "pkg/mod.py", "pkg/rules.json"}
    caches = {str(p.relative_to(dest)) for p in dest.rglob("__pycache__/*")}
    assert caches == {
        f"{d}__pycache__/{m}.{_cache_tag(python312)}.pyc"
        for d, m in (("", "app"), ("pkg/", "__init__"), ("pkg/", "mod"))
    }
    _assert_unchecked_bytecode(dest, python312, "/var/task")

    # Unchecked: neither the zip's timestamps nor the source itself invalidate the bytecode Lambda loads.
    mod = dest / "pkg/mod.py"
    mod.write_text("VALUE = 'source re-read'\n")
    os.utime(mod, (0, 0))
    probe = "import sys; sys.path.insert(0, sys.argv[1]); import app; print(app.lambda_handler(None, None))"
    out = subprocess.run([python312, "-I", "-S", "-B", "-c", probe, str(dest)], capture_output=True, text=True)
    assert out.stdout.strip() == "compiled", out.stderr


def test_layer_target_puts_the_sources_under_python_with_bytecode(tmp_path: Path, python312: str) -> None:
    src, dest = tmp_path / "src", tmp_path / "artifact"
    _fake_tree(src)  # no requirements.txt: nothing to pip install, so no network
    _run_target(REPO_ROOT / "layers/shared/Makefile", "build-SharedLayer", src, dest, python312)

    assert [p.name for p in dest.iterdir()] == ["python"]
    shipped = {str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert shipped == {"python/app.py", "python/pkg/__init__.py", "python/pkg/mod.py", "python/pkg/rules.json"}
    _assert_unchecked_bytecode(dest / "python", python312, "/opt/python")


def test_layer_prune_drops_what_nothing_reads_at_run_time(tmp_path: Path) -> None:
    files = [
        "bin/normalizer",
        "wrapt-stubs/__init__.pyi",
        "pydantic_core/_pydantic_core.pyi",
        "pydantic_core/py.typed",
        "wrapt/_wrappers.c",
        "wrapt/__init__.py",
        "pydantic-2.0.dist-info/RECORD",
        "pydantic-2.0.dist-info/INSTALLER",
        "pydantic-2.0.dist-info/METADATA",
        "pydantic-2.0.dist-info/entry_points.txt",
        "pydantic-2.0.dist-info/licenses/LICENSE",
    ]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    dropped = lambda_build.prune_layer(tmp_path)
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == [
        "pydantic-2.0.dist-info/METADATA",
        "pydantic-2.0.dist-info/entry_points.txt",
        "pydantic-2.0.dist-info/licenses/LICENSE",
        "wrapt/__init__.py",
    ]
    assert sum(dropped.values()) == len(files) - len(left)


def test_a_function_requirements_file_fails_the_build(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src/requirements.txt").write_text("requests\n")
    with pytest.raises(SystemExit, match="would not be installed"):
        lambda_build.build_function(tmp_path / "src", tmp_path / "dest")


def test_bytecode_for_another_python_than_the_runtime_fails_the_build(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    with pytest.raises(SystemExit, match="would never load"):
        lambda_build.main(["function", str(tmp_path / "src"), str(tmp_path / "dest"), "--runtime", "python3.9"])
