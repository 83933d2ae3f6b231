"""The rooms of the code and their layers: no import runs back up.

Every import of the shipped Python is read with ``ast`` (at the top of a
module or inside a function, absolute or relative, and ``import_module`` of a
literal name), and each must go to the importing module's own room or to a
room of a lower layer. The README's "Layout of the code" table must name
exactly the rooms that exist.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# bottom to top; a room may import its own modules and any room of a lower layer
LAYERS = [
    {"policy"},  # the bundled policy (a data package)
    {"dsl"},  # the rule language
    {"interpreter"},  # the engine
    {"authoring", "population", "catalogs"},  # the tools built on the engine
    {"ledger", "documents"},  # rooms to come, on the engine
    {"web"},  # the officer pages, on the ledger
    {"service"},
    {"commands"},  # the sub-commands
    {"cli"},  # the `policy` entry point
]
LAYER = {room: i for i, rooms in enumerate(LAYERS) for room in rooms}
NOT_SHIPPED = {"tests", "benchmarks", "docs", "examples", "build", "dist"}


def shipped_modules() -> dict[str, Path]:
    """dotted module name → file, for every Python file of every room."""
    mods = {}
    for path in sorted(ROOT.glob("*.py")):
        mods[path.stem] = path
    for pkg in sorted(p.parent for p in ROOT.glob("*/__init__.py")):
        if pkg.name in NOT_SHIPPED:
            continue
        for path in sorted(pkg.rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = path
    return mods


def imports_of(module: str, path: Path) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the file, functions included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.append((target, node.lineno))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.args[0].value, node.lineno))
    return found


def room_of(module: str) -> str:
    return module.split(".")[0]


def test_every_room_has_a_layer():
    rooms = {room_of(m) for m in shipped_modules()}
    assert rooms - set(LAYER) == set(), (
        "a new top-level room: give it its layer in tests/test_layers.py LAYERS "
        "and a row in the README's layout table"
    )


def test_no_import_runs_back_up():
    mods = shipped_modules()
    ours = {room_of(m) for m in mods} | set(LAYER)
    wrong = []
    for module, path in mods.items():
        here = room_of(module)
        for target, line in imports_of(module, path):
            there = room_of(target)
            if there not in ours or there == here:
                continue
            if LAYER[there] >= LAYER[here]:
                wrong.append(
                    f"{path.relative_to(ROOT)}:{line}: {here} (layer {LAYER[here]}) "
                    f"imports {target} (layer {LAYER[there]})"
                )
    assert wrong == []


def test_the_lazy_commands_are_in_commands():
    from cli import LazyGroup

    for name, target in LazyGroup.lazy.items():
        assert room_of(target.split(":")[0]) == "commands", name


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import interpreter.loader\n", ["interpreter.loader"]),
        ("def f():\n    from population.batch import x\n", ["population.batch"]),
        ("from . import rules\n", ["catalogs"]),
        ("from .show import X\n", ["catalogs.show"]),
        (
            "import importlib\nimportlib.import_module('commands.decide')\n",
            ["importlib", "commands.decide"],
        ),
    ],
)
def test_the_import_reader_sees_every_form(tmp_path, source, expected):
    f = tmp_path / "views.py"
    f.write_text(source, encoding="utf-8")
    assert [t for t, _ in imports_of("catalogs.views", f)] == expected


def test_an_import_up_is_caught(tmp_path):
    f = tmp_path / "evaluate.py"
    f.write_text("def f():\n    from catalogs.read import read\n", encoding="utf-8")
    [(target, _line)] = imports_of("interpreter.evaluate", f)
    assert LAYER[room_of(target)] > LAYER["interpreter"]


def layout_table() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Layout of the code", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\|[^|\n]*\| `([^`]+)` \|", section, re.M)


def test_the_readme_layout_table_matches_the_tree():
    listed = {name.rstrip("/").removesuffix(".py") for name in layout_table()}
    present = {room_of(m) for m in shipped_modules()} | {"tests", "benchmarks"}
    assert listed == present


def test_the_tests_mirror_the_rooms_and_share_only_helpers():
    """tests/ROOM/ for each room; no test module imports another (shared code
    is in a helper module) and none reaches into sys.path."""
    tests = ROOT / "tests"
    rooms = {room_of(m) for m in shipped_modules()} - {"cli", "policy"}
    assert rooms <= {p.parent.name for p in tests.glob("*/__init__.py")}
    # at the top only what concerns the whole tree; the rest in tests/ROOM/
    assert {p.name for p in tests.glob("test_*.py")} <= {
        "test_layers.py",
        "test_readme.py",
        "test_style.py",
        "test_no_policy_in_code.py",
    }
    wrong = []
    for path in sorted(tests.rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for target, line in imports_of(module, path):
            if target.rpartition(".")[2].startswith("test_") or target == "sys.path":
                wrong.append(f"{path.relative_to(ROOT)}:{line}: imports {target}")
        if "sys.path" in path.read_text(encoding="utf-8") and path.name != "test_layers.py":
            wrong.append(f"{path.relative_to(ROOT)}: changes sys.path")
    assert wrong == []
