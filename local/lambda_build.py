"""The copy and install step of the Lambda packages (issue 16.3), run by the Makefile in each CodeUri / ContentUri
when ``sam build`` builds it (template.yaml ``Metadata: BuildMethod: makefile``), with the runtime's interpreter::

    python3.12 -B local/lambda_build.py function SRC DEST --runtime python3.12
    python3.12 -B local/lambda_build.py layer SRC DEST --runtime python3.12 --arch arm64

``function`` copies SRC's sources into DEST. ``layer`` copies them into DEST/python, pip installs SRC/requirements.txt
there for Lambda's platform (binary wheels only, as SAM's own Python builder does), then drops what nothing reads at
run time (console scripts, type stubs, C sources, pip's install records). Nothing of a dev run travels: no
``__pycache__`` or ``*.pyc``, no tests, no tool caches, not the Makefile.

The Makefile then compiles DEST with ``compileall --invalidation-mode unchecked-hash``: bytecode that Lambda's
read-only code directory uses as it is, whatever timestamps the zip gives the sources.

Standard library only: it runs with the build interpreter, outside the dev venv.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

# Never copied, at any depth: bytecode and caches of dev runs, tests, VCS and tool state.
EXCLUDED_NAMES = frozenset(
    {
        "__pycache__",
        ".hypothesis",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".aws-sam",
        ".git",
        ".venv",
        "venv",
        "tests",
        "conftest.py",
        ".DS_Store",
    }
)
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
# Never copied from the top of SRC: the build's own inputs, and the repository's local tooling.
EXCLUDED_AT_TOP = frozenset({"Makefile", "requirements.txt", "local", ".gitignore", ".python-version"})

# The platforms pip may pick binary wheels for, per Lambda architecture: the list SAM's Python builder uses for the
# python3.12 runtime (Amazon Linux 2023, glibc 2.34).
PLATFORMS = {
    "arm64": ("manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64"),
    "x86_64": ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "manylinux_2_34_x86_64"),
}

# What the layer build drops after pip, by kind. Nothing here is imported or read at run time: console scripts carry
# the build machine's shebang, ``*-stubs`` packages have no importable name, ``.pyi`` / ``py.typed`` serve type
# checkers, C sources are compiled already, and RECORD / INSTALLER / REQUESTED / direct_url.json serve pip. The rest of
# each ``*.dist-info`` stays (METADATA, entry_points.txt, licences): importlib.metadata reads it (pydantic's plugin
# discovery walks every distribution's entry points on the first model).
DIST_INFO_DROPPED = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})


def runtime_version(runtime: str) -> tuple[int, int]:
    """``python3.12`` -> (3, 12)."""
    match = re.fullmatch(r"python(\d+)\.(\d+)", runtime)
    if not match:
        raise SystemExit(f"lambda_build: {runtime!r} is not a Python Lambda runtime")
    return int(match[1]), int(match[2])


def host_arch() -> str:
    """This machine's Lambda architecture name."""
    return "arm64" if platform.machine().lower() in {"aarch64", "arm64"} else "x86_64"


def find_python(version: tuple[int, int] = (3, 12)) -> str | None:
    """An interpreter of ``version``: ``pythonX.Y`` on PATH, else the newest pyenv one (as ``make build`` looks)."""
    name = f"python{version[0]}.{version[1]}"
    candidates: list[str] = []
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    prefix = f"{version[0]}.{version[1]}."
    versions = sorted(
        (p for p in (pyenv_root / "versions").glob(f"{prefix}*") if p.name[len(prefix) :].isdigit()),
        key=lambda p: int(p.name[len(prefix) :]),
    )
    candidates += [str(p / "bin" / name) for p in reversed(versions)]
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.executable, *sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        fields = probe.stdout.split()
        if probe.returncode == 0 and len(fields) == 3 and (int(fields[1]), int(fields[2])) == version:
            return fields[0]
    return None


def _excluded(path: Path, top: Path) -> bool:
    if path.name in EXCLUDED_NAMES or path.name.endswith(EXCLUDED_SUFFIXES):
        return True
    return path.parent == top and path.name in EXCLUDED_AT_TOP


def copy_sources(src: Path, dest: Path) -> list[Path]:
    """Copy SRC's tree into DEST without what ``EXCLUDED_*`` names; the copied files, relative to DEST."""
    copied: list[Path] = []
    for root, dirs, files in os.walk(src):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not _excluded(here / d, src))
        for name in sorted(files):
            source = here / name
            if _excluded(source, src):
                continue
            target = dest / source.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied.append(target.relative_to(dest))
    return copied


def pip_install(requirements: Path, target: Path, runtime: str, arch: str) -> None:
    """Install the pinned requirements into TARGET for Lambda's platform: binary wheels only, no bytecode (the
    Makefile compiles everything once, hash-based)."""
    major, minor = runtime_version(runtime)
    platforms = [flag for tag in PLATFORMS[arch] for flag in ("--platform", tag)]
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--root-user-action=ignore",
        "--no-compile",
        "--target",
        str(target),
        "--implementation",
        "cp",
        "--python-version",
        f"{major}.{minor}",
        "--only-binary=:all:",
        *platforms,
        "-r",
        str(requirements),
    ]
    subprocess.run(command, check=True)


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _remove(paths: Iterable[Path]) -> int:
    removed = 0
    for path in paths:
        if not path.exists():
            continue
        removed += _size(path)
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return removed


def prune_layer(python_dir: Path) -> dict[str, int]:
    """Drop from an installed layer what nothing reads at run time; bytes dropped per kind."""
    dist_infos = [p for p in python_dir.glob("*.dist-info") if p.is_dir()]
    return {
        "console scripts (bin/)": _remove([python_dir / "bin"]),
        "type stubs (*-stubs/, *.pyi, py.typed)": _remove(
            [
                *(p for p in python_dir.glob("*-stubs") if p.is_dir()),
                *python_dir.rglob("*.pyi"),
                *python_dir.rglob("py.typed"),
            ]
        ),
        "C sources (*.c, *.h)": _remove([*python_dir.rglob("*.c"), *python_dir.rglob("*.h")]),
        "pip install records (dist-info RECORD, INSTALLER, REQUESTED)": _remove(
            p for d in dist_infos for p in d.iterdir() if p.name in DIST_INFO_DROPPED
        ),
    }


def _prepare(dest: Path) -> None:
    if dest.exists() and any(dest.iterdir()):
        raise SystemExit(f"lambda_build: {dest} is not empty; build into a fresh directory")
    dest.mkdir(parents=True, exist_ok=True)


def build_function(src: Path, dest: Path) -> list[Path]:
    if (src / "requirements.txt").exists():
        raise SystemExit(
            f"lambda_build: {src}/requirements.txt would not be installed (BuildMethod: makefile); "
            "put the dependency in layers/shared/requirements.txt"
        )
    _prepare(dest)
    return copy_sources(src, dest)


def build_layer(src: Path, dest: Path, runtime: str, arch: str) -> dict[str, int]:
    _prepare(dest)
    python_dir = dest / "python"
    copy_sources(src, python_dir)
    requirements = src / "requirements.txt"
    if requirements.exists():
        pip_install(requirements, python_dir, runtime, arch)
    return prune_layer(python_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("function", "layer"))
    parser.add_argument("src", type=Path, help="the CodeUri / ContentUri (sam build's scratch copy of it)")
    parser.add_argument("dest", type=Path, help="$(ARTIFACTS_DIR)")
    parser.add_argument("--runtime", default="python3.12", help="the template's Runtime; the interpreter must match")
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="arm64", help="the template's Architectures")
    args = parser.parse_args(argv)

    wanted = runtime_version(args.runtime)
    if sys.version_info[:2] != wanted:
        raise SystemExit(
            f"lambda_build: {sys.executable} is Python {sys.version_info[0]}.{sys.version_info[1]}, the runtime is "
            f"{args.runtime}: its bytecode would never load (the Makefile's LAMBDA_PYTHON picks the interpreter)"
        )
    src, dest = args.src.resolve(), args.dest.resolve()
    if args.kind == "function":
        copied = build_function(src, dest)
        print(f"lambda_build: {dest.name}: {len(copied)} source files")
    else:
        dropped = build_layer(src, dest, args.runtime, args.arch)
        print(
            f"lambda_build: layer for {args.runtime} {args.arch}; dropped "
            + ", ".join(f"{kind} {size / 1024:.0f} KiB" for kind, size in dropped.items())
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
