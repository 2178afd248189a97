"""No import circles among the project's own modules (issue 29).

Reads the source, not the installed wheel: python/loadgen/ is the package
``loadgen``; each benchmarks/<name>/ with an ``__init__.py`` is the package
``<name>`` (run.py puts benchmarks/ on sys.path). Every ``import`` counts,
also the ones inside functions (a lazy import only hides a circle), but not
those under ``if TYPE_CHECKING:``, which never run. An import
``from P import X`` is an edge to the module ``P.X`` where that is a module,
else to ``P``; the implicit import of a module's parent packages is no edge
(a package's ``__init__`` importing its own submodules is no circle).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def project_modules(roots: dict[str, Path]) -> dict[str, Path]:
    """Module name -> file, for each package name -> folder in ``roots``."""
    modules: dict[str, Path] = {}
    for top, folder in roots.items():
        # .pyi: an extension module's stub (loadgen._core) names a module too; it imports nothing
        for path in sorted([*folder.rglob("*.py"), *folder.rglob("*.pyi")]):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([top, *parts])] = path
    return modules


def _resolve(name: str, module: str, is_package: bool, level: int) -> str:
    if level == 0:
        return name
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, name] if name else base)


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules it imports."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        if path.suffix != ".py":
            continue
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        type_only = {
            id(n)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for stmt in block.body
            for n in ast.walk(stmt)
        }
        for node in ast.walk(tree):
            if id(node) in type_only:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(node.module or "", module, is_package, node.level)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else base)
            for t in targets:
                if t in modules and t != module:
                    graph[module].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def project_roots() -> dict[str, Path]:
    roots = {"loadgen": ROOT / "python" / "loadgen"}
    for folder in sorted((ROOT / "benchmarks").iterdir()):
        if (folder / "__init__.py").is_file():
            roots[folder.name] = folder
    return roots


def test_the_project_has_no_import_circle() -> None:
    modules = project_modules(project_roots())
    assert "loadgen.harness.benchmark" in modules and "ssd_mobilenet.run" in modules
    graph = import_graph(modules)
    assert "loadgen.harness.benchmark" in graph["loadgen.harness.compliance"]  # the graph sees imports
    assert cycles(graph) == [], "import circles (cut each along its real dependency):\n" + "\n".join(
        " <-> ".join(c) for c in cycles(graph)
    )


def test_a_made_circle_is_found(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from . import a\n")
    (pkg / "a.py").write_text("from .sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..c import g\n")  # lazy: still a circle
    (pkg / "c.py").write_text("import pkg.a\ng = 1\n")
    (pkg / "d.py").write_text("from pkg import c\n")  # into the circle, not part of it
    (pkg / "e.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import d\n")
    (pkg / "c.py").write_text("import pkg.a\nfrom . import e\ng = 1\n")  # c -> e -> d -> c: type-only
    graph = import_graph(project_modules({"pkg": pkg}))
    assert cycles(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]
    (pkg / "c.py").write_text("g = 1\n")
    assert cycles(import_graph(project_modules({"pkg": pkg}))) == []
