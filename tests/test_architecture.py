"""The shape of the helper package: stages in order, imports only downward, no circles, small modules."""

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "utils"

RANK = {"core": 0, "data": 1, "features": 2, "learn": 3, "evaluation": 4, "predict": 4, "notebook": 5}
"""Stages in data-flow order; a module may import from its own stage or from a lower rank only."""

MAX_LINES = 620
"""No module is longer than about 600 lines."""


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imports_of(path: Path) -> set:
    """Modules of the package that ``path`` imports (at any depth of the file, lazy imports too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("utils"):
                continue
            for alias in node.names:  # "from .x import y" may import the module x.y
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("utils")}
    return {m for m in found if m in MODULES and m != name}


FILES = sorted(p for p in PACKAGE.rglob("*.py"))
MODULES = {module_name(p) for p in FILES}
GRAPH = {module_name(p): imports_of(p) for p in FILES}


def stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_module_belongs_to_a_known_stage():
    stages = {stage(m) for m in MODULES} - {None}
    assert stages == set(RANK), stages


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_only_go_downward(module):
    here = stage(module)
    for target in GRAPH[module]:
        there = stage(target)
        if here is None or there is None:  # utils/__init__ (the version) is below everything
            assert here is None or target == "utils", (module, target)
            continue
        assert RANK[there] < RANK[here] or there == here, f"{module} imports {target}: stage {there} is not below {here}"


def test_no_import_circles():
    state = {}

    def visit(node, trail):
        if state.get(node) == "done":
            return
        assert state.get(node) != "open", "import circle: " + " -> ".join(trail + [node])
        state[node] = "open"
        for target in sorted(GRAPH.get(node, ())):
            visit(target, trail + [node])
        state[node] = "done"

    for module in sorted(GRAPH):
        visit(module, [])


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_small(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_stage_packages_import_nothing_on_their_own():
    for path in FILES:
        if path.name == "__init__.py":
            tree = ast.parse(path.read_text())
            assert not [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))], path


def test_no_notebook_imports_the_benchmark():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        assert "utils.evaluation.benchmark" not in code, path.name


def test_the_graph_sees_lazy_imports():
    """The check would be empty if it missed imports inside functions (as the bundle's of the networks)."""
    assert "utils.learn.networks" in GRAPH["utils.predict.bundle"]
    assert "utils.features.config" in GRAPH["utils.features.extract"]
