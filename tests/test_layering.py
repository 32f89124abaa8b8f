"""The package's modules import each other without cycles (issue #16: layering).

Every import counts, including those inside functions (a lazy import that closes a cycle still means two
modules need each other); imports under ``if TYPE_CHECKING:`` do not, since they never run. A package's
``__init__`` counts as a module of its own, and so does each module inside it (``salesmetrics.diagnostics`` is
its ``__init__``; ``salesmetrics.diagnostics._common`` and each sign's module are nodes of their own).

The reorg diagnostics are a package with one module per sign: a sign's module imports what the signs share
(``_common``) and the rest of the library, never another sign's module; only ``_diagnose`` runs them all.
"""

from __future__ import annotations

import ast
from pathlib import Path

import salesmetrics

ROOT = Path(salesmetrics.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = ["salesmetrics", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _edges(modules: dict[str, Path]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(node) for block in ast.walk(tree)
                       if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
                       for node in ast.walk(block)}
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom):
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else [])) \
                    if node.level else (node.module or "")
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges[name].add(target)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_graph_is_read_correctly():
    """The reader sees known edges, so an empty cycle list is not an empty graph."""
    edges = _edges(_modules())
    assert "salesmetrics.data._lookups" in edges["salesmetrics.data._checks"]
    assert "salesmetrics._signs" in edges["salesmetrics.formatting"]
    assert "salesmetrics.formatting" in edges["salesmetrics.reports.cli"]
    assert "salesmetrics.diagnostics" in edges["salesmetrics.reports.cli"]  # a package is its __init__
    assert "salesmetrics.diagnostics._common" in edges["salesmetrics.diagnostics._rep_turnover"]  # relative, one level up
    assert "salesmetrics.data" in edges["salesmetrics.diagnostics._rep_turnover"]  # relative, two levels up
    assert "salesmetrics.revenue" in edges["salesmetrics.diagnostics._customer_satisfaction"]  # a lazy import counts
    assert "salesmetrics.org" not in edges["salesmetrics.diagnostics._rep_turnover"]  # under TYPE_CHECKING: does not
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_among_the_package_modules():
    cycles = _cycles(_edges(_modules()))
    assert cycles == [], f"modules that import each other: {cycles}"


# -- the diagnostics package: one module per sign ------------------------------------------------------------

DIAGNOSTICS = "salesmetrics.diagnostics"
SIGN_MODULES = {f"{DIAGNOSTICS}._{name}" for name in
                ("declining_sales", "rep_turnover", "unclear_roles", "market_response", "customer_satisfaction")}


def test_the_diagnostics_package_has_one_module_per_sign():
    inside = {m for m in _modules() if m.startswith(DIAGNOSTICS + ".")}
    assert inside == SIGN_MODULES | {f"{DIAGNOSTICS}._common", f"{DIAGNOSTICS}._diagnose"}, inside


def test_a_sign_module_never_imports_another_sign_module():
    edges = _edges(_modules())
    for module in sorted(SIGN_MODULES):
        package_imports = {t for t in edges[module] if t == DIAGNOSTICS or t.startswith(DIAGNOSTICS + ".")}
        assert package_imports == {f"{DIAGNOSTICS}._common"}, (module, package_imports)  # not a sibling, not the __init__
    assert edges[f"{DIAGNOSTICS}._diagnose"] >= SIGN_MODULES  # diagnose runs them all
    common = {t for t in edges[f"{DIAGNOSTICS}._common"] if t.startswith(DIAGNOSTICS)}
    assert common == set(), common  # what the signs share depends on no sign


def test_only_the_diagnostics_package_imports_its_private_modules():
    """Everyone else goes through ``salesmetrics.diagnostics``, so the split into modules stays an inside matter."""
    edges = _edges(_modules())
    outside = {(m, t) for m, targets in edges.items() if not (m == DIAGNOSTICS or m.startswith(DIAGNOSTICS + "."))
               for t in targets if t.startswith(DIAGNOSTICS + ".")}
    assert outside == set(), outside
