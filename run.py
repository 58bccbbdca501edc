#!/usr/bin/env python3
"""One entry point for a fresh machine: ``python3 run.py chat`` or ``python3 run.py test``.

It creates ``.venv`` beside this file, installs the project into it (again only when pyproject.toml
changed), installs the system tools the tests need when it can, and then runs the command.
Only the standard library is used here, because nothing else is installed yet.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
NODE_TOOLS = ROOT / "tools" / "node"  # package.json + package-lock.json; node_modules/ there is git-ignored


def say(message: str) -> None:
    print(f"[run.py] {message}", file=sys.stderr, flush=True)


def ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (this file runs before anything checks the version)
        sys.exit(f"[run.py] Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        say(f"creating a virtual environment in {VENV} ...")
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except (subprocess.CalledProcessError, OSError) as exc:
            shutil.rmtree(VENV, ignore_errors=True)
            sys.exit(f"[run.py] could not create a virtual environment ({exc}). On Debian/Ubuntu install "
                     "it with: apt-get install python3-venv")
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    say("installing the project and its dependencies (first run only, about a minute) ...")
    target = f".[{extras}]" if extras else "."
    command = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target]
    if subprocess.call(command, cwd=ROOT) != 0:
        sys.exit("[run.py] installing the dependencies failed; see the messages above.")
    stamp.write_text(digest)


# Debian packages the tests use: the program that proves each is there, and why it is needed.
SYSTEM_TOOLS = {"graphviz": ("dot", "the SVG diagram tests will be skipped"),
                "chromium": ("chromium", "the end-to-end Teams client test will fail")}


def ensure_system_tools() -> None:
    """Graphviz draws the SVG diagrams, Chromium runs the Teams-like client; installed where we are allowed to
    (CI runs as root)."""
    missing = [package for package, (program, _) in SYSTEM_TOOLS.items() if not shutil.which(program)]
    if not missing:
        return
    if os.name == "posix" and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say(f"installing {', '.join(missing)} (Debian packages the tests use) ...")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        quiet = {"stdout": subprocess.DEVNULL, "env": env}
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
        if subprocess.call(install, **quiet):
            subprocess.call(["apt-get", "update", "-q"], **quiet)
            subprocess.call(install, **quiet)
    for package, (program, consequence) in SYSTEM_TOOLS.items():
        if not shutil.which(program):
            say(f"{package} is not installed: {consequence}.")


def ensure_node_tools() -> None:
    """The pinned npm packages the tests use offline (Teams manifest schemas, Agents Playground), again only when
    the lock changes.

    Without node/npm the manifest schema test fails and says how to fix it; nothing is skipped silently."""
    npm = shutil.which("npm")
    if not npm or not shutil.which("node"):
        say("node/npm are not installed: the Teams manifest schema test will fail (install Node.js 18+ with npm).")
        return
    stamp = NODE_TOOLS / "node_modules" / ".installed-lock"
    digest = hashlib.sha256((NODE_TOOLS / "package-lock.json").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    say("installing the pinned npm packages in tools/node (Teams manifest schemas, Agents Playground) ...")
    command = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
    if subprocess.call(command, cwd=NODE_TOOLS, stdout=subprocess.DEVNULL) != 0:
        say("npm ci failed (see above): the Teams manifest schema test will fail.")
        return
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("chat", [])
    if command == "test":
        ensure_venv("test")
        ensure_system_tools()
        ensure_node_tools()
        say("ruff check ...")
        if subprocess.call([str(BIN / "ruff"), "check", "."], cwd=ROOT) != 0:
            return 1
        code = subprocess.call([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT)
        return 1 if code == 5 else code  # 5 = no tests collected: a failure for us
    if command in {"chat", "serve", "diagram"}:
        ensure_venv("")
        return subprocess.call([str(BIN / "mailflow"), command, *rest], cwd=Path.cwd())
    sys.exit(f"[run.py] unknown command {command!r}; use: chat, serve, diagram or test")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
