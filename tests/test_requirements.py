"""Every package the tests (and the code they run) import comes from the README's
test command, ``pip install ".[test]"``.

A package that was installed by hand on the machine where the suite last ran
makes a test pass there and fail on a fresh machine, and CI cannot see it: CI
runs on a machine where such a package may still be installed. So this test
reads the import statements (and the module names given as strings to
``importorskip``, ``import_module``, ``find_spec``, ``__import__``) of tests/,
benchmarks/ and the loadgen package, and checks that each third-party module
is provided by a distribution in the dependency closure of ``loadgen[test]``,
as the installed metadata declares it.
"""

from __future__ import annotations

import ast
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
SOURCES = [REPO / "tests", REPO / "benchmarks", REPO / "python" / "loadgen"]
STRING_IMPORTERS = {"importorskip", "import_module", "find_spec", "__import__", "need"}

# Imported by our code but, on purpose, not part of the test extra; each says why.
NOT_IN_THE_EXTRA = {
    # `serve --engine pytriton` runs in the NumPy-1 environment that
    # loadgen.harness.pytriton_env makes (pytriton pins numpy<2).
    "pytriton": "made by loadgen.harness.pytriton_env in its own environment",
    # The yardsticks of benchmarks/llama3_1_8b/bench_vs_yardsticks.py, a
    # benchmark script (not a test) that tells how to install them.
    "aiperf": "a yardstick of a benchmark script",
    "guidellm": "a yardstick of a benchmark script",
    # benchmarks/gnmt/convert.py reads the reference's TensorFlow checkpoint
    # only when given one (an .npz of its variables needs nothing more); the
    # tests use the .npz, and the ImportError says what to install.
    "tensorflow": "only for converting the reference's own GNMT checkpoint",
    # benchmarks/rnnt/dataset.py spells out digits in transcripts as the
    # reference does; LibriSpeech's transcripts have none, and the error
    # names the package.
    "inflect": "only for transcripts with digits, which LibriSpeech has none of",
}
# Tools every Python environment has beside the standard library.
ALWAYS_THERE = {"pip", "setuptools", "pkg_resources", "_pytest", "pytest"}


def _local_modules() -> set[str]:
    """Modules of this repository that are imported by name (tests/ helpers,
    benchmark folders and their files)."""
    names = {"loadgen"}
    for folder in (REPO / "tests", *(p for p in (REPO / "benchmarks").iterdir() if p.is_dir())):
        names.add(folder.name)
        names.update(p.stem for p in folder.glob("*.py"))
    return names


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and node.args:
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            arg = node.args[0]
            if name in STRING_IMPORTERS and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value.split(".")[0])
    return found


def _closure(root: str, extras: frozenset[str]) -> tuple[set[str], set[str]]:
    """The distributions ``root[extras]`` needs, recursively (canonical names),
    and the ones it needs that are not installed."""
    seen: set[tuple[str, frozenset[str]]] = set()
    have: set[str] = set()
    missing: set[str] = set()
    todo = [(root, extras)]
    while todo:
        name, ex = todo.pop()
        key = canonicalize_name(name)
        if (key, ex) in seen:
            continue
        seen.add((key, ex))
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.add(key)
            continue
        have.add(key)
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in ex | {""}):
                continue
            todo.append((req.name, frozenset(req.extras)))
    return have, missing


def test_every_imported_package_comes_from_the_test_extra() -> None:
    closure, missing = _closure("loadgen", frozenset({"test"}))
    assert not missing, f"loadgen[test] needs distributions that are not installed: {sorted(missing)}"
    providers = metadata.packages_distributions()
    local = _local_modules()
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    problems = []
    for base in SOURCES:
        for path in sorted(base.rglob("*.py")):
            for module in sorted(_imported(path) - stdlib - local - ALWAYS_THERE - set(NOT_IN_THE_EXTRA)):
                dists = {canonicalize_name(d) for d in providers.get(module, [])}
                if not dists:
                    problems.append(
                        f"{path.relative_to(REPO)}: imports {module!r}, which nothing installed provides"
                    )
                elif not dists & closure:
                    problems.append(
                        f"{path.relative_to(REPO)}: imports {module!r} from {sorted(dists)}, "
                        f"which pip install '.[test]' does not bring"
                    )
    assert not problems, "\n".join(problems)


def test_the_check_sees_a_package_outside_the_extra(tmp_path: Path) -> None:
    """The check is not vacuous: an import of an installed package that the
    extra does not bring (the reference's own build tool, say) is caught, and
    so is a module nothing provides."""
    closure, _ = _closure("loadgen", frozenset({"test"}))
    assert "numpy" in closure and "torch" in closure and "llama-cpp-python" in closure
    assert "ruff" not in closure  # a lint tool .ci/run installs, never a test's need
    probe = tmp_path / "probe.py"
    probe.write_text("import numpy\nimport no_such_module_here\nimportlib.import_module('ruff')\n")
    assert _imported(probe) == {"numpy", "no_such_module_here", "ruff"}
    assert not metadata.packages_distributions().get("no_such_module_here")
