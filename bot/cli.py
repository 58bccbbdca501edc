"""The ``mailflow`` command: chat in the terminal, serve the Bot Framework endpoint, draw the flows."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dialogs.diagram import FORMATS

if TYPE_CHECKING:
    from dialogs.session import Session


def _network_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nameserver", action="append", metavar="HOST[:PORT]",
                        help="DNS server for live checks (repeatable; default: env MAILFLOW_NAMESERVERS, "
                             "else the system's)")
    parser.add_argument("--no-checks", action="store_true", help="never offer live DNS/SMTP checks")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailflow",
        description="Troubleshoot Microsoft 365 / Exchange Online mail delivery, step by step. "
                    "With no command, starts a chat in the terminal.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chat = sub.add_parser("chat", help="chat in the terminal (the default)")
    chat.add_argument("--transcript", type=Path, metavar="FILE",
                      help="also write the conversation as a Bot Framework transcript (JSON)")
    _network_options(chat)
    serve = sub.add_parser("serve", help="run the Bot Framework endpoint for Teams (/api/messages)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1, env MAILFLOW_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default 3978, env PORT)")
    _network_options(serve)
    diagram = sub.add_parser("diagram", help="draw a flow's state machine")
    diagram.add_argument("flow", nargs="?", help="flow name (default: all flows)")
    diagram.add_argument("--format", choices=FORMATS, default="mermaid")
    diagram.add_argument("--output", "-o", type=Path, metavar="FILE_OR_DIR",
                         help="write here (svg: a folder for several flows) instead of standard output")
    return parser


def _chat(args: argparse.Namespace) -> int:
    from bot.console import Console, line_reader
    from bot.render_text import Style

    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if args.transcript and not args.transcript.parent.exists():
        print(f"mailflow: the folder for {args.transcript} does not exist", file=sys.stderr)
        return 2
    try:
        session = _session(args)
    except ValueError as exc:
        print(f"mailflow: {exc}", file=sys.stderr)
        return 2
    console = Console(session, sys.stdout, style=Style(interactive and "NO_COLOR" not in os.environ),
                      transcript=args.transcript, interactive=interactive)
    try:
        return asyncio.run(console.run(line_reader(sys.stdin, interactive=interactive), echo=not interactive))
    except KeyboardInterrupt:
        print("\nBye.")
        return 0


def _session(args: argparse.Namespace) -> Session:
    """The engine plus, unless --no-checks, a runner for live checks with the configured resolver."""
    from dialogs.engine import Engine
    from dialogs.session import Session

    if args.no_checks:
        return Session(Engine.default())
    from dialogs.live_checks import LiveChecks

    return Session(Engine.default(checks=True), LiveChecks.from_settings(nameservers=args.nameserver))


def _serve(args: argparse.Namespace) -> int:
    from bot.http_app import serve
    from bot.settings import Settings

    try:
        settings = Settings.from_env(os.environ, host=args.host, port=args.port,
                                     nameservers=tuple(args.nameserver or ()),
                                     live_checks=False if args.no_checks else None)
    except ValueError as exc:
        print(f"mailflow: {exc}", file=sys.stderr)
        return 2
    serve(settings)
    return 0


def _diagram(args: argparse.Namespace) -> int:
    from dialogs import diagram
    from dialogs.flows import FLOW_MODULES, load_flows

    flows = load_flows()
    if args.flow and args.flow not in flows:
        print(f"mailflow: no flow named {args.flow!r}; flows: {', '.join(flows)}", file=sys.stderr)
        return 2
    import importlib

    datas = {m: importlib.import_module(f"dialogs.flows.{m}").FLOW for m in FLOW_MODULES}
    chosen = [args.flow] if args.flow else list(datas)
    try:
        if args.format == "mermaid":
            text = "\n\n".join(f"```mermaid\n{diagram.mermaid(datas[name])}\n```" if not args.flow
                               else diagram.mermaid(datas[name]) for name in chosen)
            if args.output:
                args.output.write_text(text + "\n", encoding="utf-8")
            else:
                print(text)
            return 0
        for name in chosen:
            image = diagram.svg(datas[name])
            if args.output is None:
                if len(chosen) > 1:
                    print("mailflow: SVG for several flows needs --output FOLDER", file=sys.stderr)
                    return 2
                sys.stdout.buffer.write(image)
            else:
                target = args.output / f"{name}.svg" if len(chosen) > 1 or args.output.is_dir() else args.output
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(image)
                print(f"wrote {target}")
    except diagram.DiagramUnavailable as exc:
        print(f"mailflow: {exc}", file=sys.stderr)
        return 3
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "chat"
    if command == "chat" and not hasattr(args, "transcript"):
        args.transcript, args.nameserver, args.no_checks = None, None, False
    handlers = {"chat": _chat, "serve": _serve, "diagram": _diagram}
    return handlers[command](args)
