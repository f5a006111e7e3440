"""The bot as the Docker image and the systemd unit run it.

Docker cannot build here, so this does what the image does with what the machine has: the files
the Dockerfile copies, installed by pip (not editable, dependencies resolved from the registry)
into a new virtual environment; `sibot migrate`, then `sibot`, started by an unprivileged user
whose only folder of its own is an empty data folder, on the default SQLite database in it.
The install takes ~15 s, most of this test's time; it is marked slow, to start first.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from sibot.emulator import Emulator
from tests.harness import TOKEN
from tests.processes import REPOSITORY, BotProcess

DATABASE_FILES = ("sibot.db", "sibot.db-wal", "sibot.db-shm", "sibot.db.lock")


def _copied_by_the_dockerfile() -> list[str]:
    """The sources of the Dockerfile's COPY lines: what the image installs from."""
    sources = []
    for line in (REPOSITORY / "Dockerfile").read_text().splitlines():
        words = line.split()
        if words[:1] == ["COPY"]:
            sources += words[1:-1]
    return sources


def _unprivileged_credentials() -> dict[str, Any]:
    """`nobody`, with no group of root's, when the tests run as root; else the tests' own user."""
    if os.geteuid() != 0:
        return {}
    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


def _python_they_may_run(credentials: dict[str, Any]) -> str:
    """A Python 3.11+ the unprivileged user can execute: the tests' own may sit in /root; then
    the system's, where the Docker image (/usr/local) or a distribution (/usr) keeps it."""
    candidates = [os.path.realpath(sys._base_executable), "/usr/local/bin/python3", "/usr/bin/python3"]
    check = "import sys; assert sys.version_info >= (3, 11)"
    for candidate in candidates:
        try:
            if subprocess.run([candidate, "-c", check], capture_output=True, **credentials).returncode == 0:
                return candidate
        except (PermissionError, FileNotFoundError):
            continue
    pytest.fail(f"no Python 3.11 that an unprivileged user may run among {candidates}")


@contextmanager
def _folder_others_may_read() -> Iterator[Path]:
    """pytest's tmp_path sits in a folder only root may enter."""
    folder = Path(tempfile.mkdtemp(prefix="sibot-install-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def _install(python: str, folder: Path) -> Path:
    """The image's files, installed into a new virtual environment; the build folder is removed
    afterwards, so the bot can only run from what was installed."""
    build = folder / "build"
    build.mkdir()
    for source in _copied_by_the_dockerfile():
        if (REPOSITORY / source).is_dir():
            shutil.copytree(REPOSITORY / source, build / source, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(REPOSITORY / source, build / source)
    venv = folder / "venv"
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip = [
        sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
        # byte-compiling every dependency took a fifth of the install's CPU; without it the bot
        # compiles only what it imports, from the same installed files
        "--no-compile",
    ]
    installed = subprocess.run([*pip, str(build)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-2000:]
    shutil.rmtree(build)
    return venv


def _installed_bot(venv: Path, data: Path, emulator: Emulator, credentials: dict[str, Any]) -> BotProcess:
    """`sibot` from the virtual environment, in the data folder, with no DATABASE_URL: the
    default sibot.db there. HOME is the data folder, as systemd sets it for the unit's user."""
    process = BotProcess(emulator.base_url, "")
    process.environment = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(data),
        "LANG": "C.UTF-8",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "SIBOT_LOG_FORMAT": "json",
    }
    process.command = [str(venv / "bin" / "sibot")]
    process.cwd = data
    process.credentials = credentials
    return process


@pytest.mark.slow
async def test_the_installed_bot_runs_as_an_unprivileged_user_in_an_empty_data_folder(
    emulator: Emulator,
) -> None:
    credentials = _unprivileged_credentials()
    python = _python_they_may_run(credentials)
    with _folder_others_may_read() as folder:
        venv = _install(python, folder)
        data = folder / "data"
        data.mkdir(mode=0o700)
        os.chown(data, credentials.get("user", -1), credentials.get("group", -1))

        migrate = _installed_bot(venv, data, emulator, credentials)
        await migrate.start("migrate")
        assert await migrate.wait(timeout=60) == 0, migrate.raw_log[-5:]

        bot = _installed_bot(venv, data, emulator, credentials)
        await bot.start()
        try:
            await bot.wait_for_log("ready", timeout=60)
            patient = emulator.patient()
            await patient.send("/start")
            await patient.expect("not a medical device", timeout=15)
            files = {path.name: path.stat() for path in data.iterdir()}
        finally:
            assert await bot.terminate() == 0

    assert sorted(files) == sorted(DATABASE_FILES)
    for name, status in files.items():
        assert stat.S_IMODE(status.st_mode) == 0o600, name
        assert status.st_uid == credentials.get("user", os.getuid()), name
