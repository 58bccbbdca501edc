"""The ``mailflow`` command: chat in the terminal, serve the Bot Framework endpoint, run checks, draw the flows."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import shutil
import sys
import time
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from dialogs.diagram import FORMATS

if TYPE_CHECKING:
    from dialogs.session import Session

# ``mailflow serve`` keeps conversations in a file next to where it runs unless told otherwise (--storage,
# MAILFLOW_STORAGE); Settings() itself defaults to memory, for tests.
SERVE_STORAGE = "sqlite:///data/mailflow.sqlite3"


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
    serve.add_argument("--storage", metavar="WHERE",
                       help="where conversation state lives: memory, sqlite:///PATH (relative to the working "
                            f"directory) or azure-blob (default {SERVE_STORAGE}, env MAILFLOW_STORAGE)")
    _network_options(serve)
    _check_parser(sub)
    _package_parser(sub)
    explain = sub.add_parser("explain", help="decode a bounce, message trace, SMTP protocol log or message headers")
    explain.add_argument("file", nargs="?", default="-", help="the file to read, or - for standard input (default)")
    explain.add_argument("--kind", choices=("ndr", "trace", "smtplog", "headers"),
                         help="what the input is (default: detected)")
    explain.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    explain.add_argument("--address", help="protocol logs: only sessions with this MAIL FROM / RCPT TO address")
    explain.add_argument("--remote", help="protocol logs: only sessions with this remote IP (or prefix, or IP:port)")
    explain.add_argument("--since", help="protocol logs: only sessions ending at or after this time (ISO 8601)")
    diagram = sub.add_parser("diagram", help="draw a flow's state machine")
    diagram.add_argument("flow", nargs="?", help="flow name (default: all flows)")
    diagram.add_argument("--format", choices=FORMATS, default="mermaid")
    diagram.add_argument("--output", "-o", type=Path, metavar="FILE_OR_DIR",
                         help="write here (svg: a folder for several flows) instead of standard output")
    return parser


def _check_parser(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser(
        "check", help="run the live DNS, IP and port-25 checks for a domain and print a report",
        description="Check a domain's mail DNS (MX, SPF, DMARC, DKIM, autodiscover, MTA-STS, TLS-RPT, Microsoft 365 "
                    "signs), optionally sending IPs (reverse DNS, block lists) and a port-25 test of its MX hosts. "
                    "Exit code 0 when the checks ran, whatever they found; 2 for bad input.")
    check.add_argument("domain", metavar="DOMAIN", help="the domain to check, like contoso.com")
    check.add_argument("--recipient", metavar="ADDRESS",
                       help="mailbox at DOMAIN for the port-25 test (default with --smtp: postmaster@DOMAIN)")
    check.add_argument("--sender", metavar="ADDRESS",
                       help="MAIL FROM for the port-25 test (default: the null sender <>)")
    check.add_argument("--ip", action="extend", nargs="+", default=[], metavar="IP",
                       help="sending IP to check: reverse DNS and public block lists (repeatable)")
    check.add_argument("--smtp", action="store_true",
                       help="also run the port-25 test against DOMAIN's MX hosts, up to RCPT TO (never sends mail)")
    check.add_argument("--nameserver", action="append", metavar="HOST[:PORT]",
                       help="DNS server to ask (repeatable; default: env MAILFLOW_NAMESERVERS, else the system's)")
    check.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    check.add_argument("--timeout", metavar="SECONDS",
                       help="time allowed for each DNS lookup and each SMTP step (default: 6 s per lookup; "
                            "SMTP 10 s to connect, 15 s per reply)")
    lab = check.add_argument_group("lab/testing only", "never needed against real mail servers")
    lab.add_argument("--allow-private", action="store_true",
                     help="LAB/TESTING ONLY: let the port-25 test reach private and loopback addresses")
    lab.add_argument("--smtp-port", default="25", metavar="PORT",
                     help="LAB/TESTING ONLY: run the port-25 test on this port instead of 25")


def _package_parser(sub: argparse._SubParsersAction) -> None:
    package = sub.add_parser(
        "package", help="build the Teams app package (manifest.json and icons in a zip) for a bot id",
        description="Fill the bot's Microsoft App ID into manifest/manifest.json and zip it with the icons, "
                    "ready to upload in Teams. Exit code 0 when the zip was written, 2 for bad input, "
                    "3 when the manifest template or an icon is missing or broken.")
    package.add_argument("--app-id", required=True, metavar="GUID",
                         help="the bot's Microsoft App ID (the Azure Bot's msaAppId)")
    package.add_argument("--out", type=Path, default=Path("appPackage.zip"), metavar="FILE",
                         help="where to write the zip (default: appPackage.zip)")
    package.add_argument("--teams-app-id", metavar="GUID",
                         help="the Teams app's own id (default: derived from --app-id, the same on every build)")
    package.add_argument("--domain", metavar="HOST", help="public host name of the bot's endpoint, for validDomains")
    package.add_argument("--version", metavar="X.Y.Z",
                         help="app version (default: the template's); raise it for each update you upload")


def _package(args: argparse.Namespace) -> int:
    from bot.package import PackageError, PackageOptions, build_package

    options = PackageOptions(args.app_id, teams_app_id=args.teams_app_id, domain=args.domain, version=args.version)
    try:
        manifest = build_package(options, args.out)
    except PackageError as exc:
        print(f"mailflow package: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"wrote {args.out} (bot id {manifest['bots'][0]['botId']}, Teams app id {manifest['id']}, "
          f"version {manifest['version']})")
    return 0


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
    import dns.resolver

    from dialogs.live_checks import LiveChecks

    try:
        runner = LiveChecks.from_settings(nameservers=args.nameserver)
    except dns.resolver.NoResolverConfiguration:
        print("mailflow: no DNS resolver is configured on this system, so live checks are off "
              "(give one with --nameserver HOST[:PORT])", file=sys.stderr)
        return Session(Engine.default())
    return Session(Engine.default(checks=True), runner)


def _serve(args: argparse.Namespace) -> int:
    from bot.http_app import serve
    from bot.logs import configure_from_env
    from bot.settings import Settings
    from mailflow.resolver import BadNameserver

    try:
        settings = Settings.from_env(os.environ, host=args.host, port=args.port,
                                     nameservers=tuple(args.nameserver or ()),
                                     live_checks=False if args.no_checks else None, storage=args.storage,
                                     default_storage=SERVE_STORAGE)
        configure_from_env(os.environ)  # JSON lines with the conversation id; MAILFLOW_LOG_LEVEL / _FORMAT
    except ValueError as exc:
        print(f"mailflow: {exc}", file=sys.stderr)
        return 2
    try:
        serve(settings)
    except BadNameserver as exc:
        print(f"mailflow: {exc}", file=sys.stderr)
        return 2
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


class _StatusLine:
    """One line on a terminal's stderr saying what is still running; erased before the report is printed."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.text = "starting"
        self.started = time.monotonic()
        self.shown = False

    def update(self, text: str) -> None:
        self.text = text
        self.draw()

    def draw(self) -> None:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError):
            columns = 0
        width = columns - 1 if columns > 20 else 79  # a pseudo-terminal may report 0 columns
        line = f"mailflow check: {self.text} [{time.monotonic() - self.started:.1f} s]"
        self.stream.write(f"\r\x1b[K{line[:width]}")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


async def _with_status(work: Coroutine[Any, Any, dict[str, Any]], status: _StatusLine | None) -> dict[str, Any]:
    """Await the checks, redrawing the status line a few times a second so the clock moves."""
    if status is None:
        return await work

    async def tick() -> None:
        while True:
            status.draw()
            await asyncio.sleep(0.25)

    ticker = asyncio.create_task(tick())
    try:
        return await work
    finally:
        ticker.cancel()
        status.clear()


def _seconds(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.05 <= value <= 120:  # NaN fails this too
        raise ValueError(f"--timeout must be a number of seconds from 0.05 to 120, not {text!r}")
    return value


def _port(text: str) -> int:
    if not text.strip().isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"--smtp-port must be a TCP port from 1 to 65535, not {text!r}")
    return int(text)


def _check(args: argparse.Namespace) -> int:
    import dns.resolver

    from mailflow.addresses import InvalidName
    from mailflow.check_command import format_report, run_checks, validate
    from mailflow.resolver import BadNameserver, make_resolver, nameservers_from
    from mailflow.smtp_policy import ProbePolicy

    try:
        timeout, port = _seconds(args.timeout), _port(args.smtp_port)
        validate(args.domain, recipient=args.recipient, ips=args.ip, smtp=args.smtp, sender=args.sender)
        resolver = make_resolver(nameservers_from(args.nameserver))
    except (InvalidName, BadNameserver, ValueError) as exc:
        print(f"mailflow check: {exc}", file=sys.stderr)
        return 2
    except dns.resolver.NoResolverConfiguration:
        print("mailflow check: this system has no DNS servers configured; give one with --nameserver",
              file=sys.stderr)
        return 2
    policy = ProbePolicy(allowed_ports=frozenset({port}), allow_private=args.allow_private)
    status = _StatusLine(sys.stderr) if sys.stderr.isatty() else None
    work = run_checks(args.domain, recipient=args.recipient, ips=args.ip, smtp=args.smtp, sender=args.sender,
                      resolver=resolver, policy=policy, smtp_port=port, timeout=timeout,
                      progress=status.update if status else None)
    try:
        data = asyncio.run(_with_status(work, status))
    except KeyboardInterrupt:
        if status:
            status.clear()
        print("mailflow check: interrupted", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        columns = shutil.get_terminal_size().columns
        width = columns - 1 if sys.stdout.isatty() and columns > 20 else None
        print(format_report(data, width=width))
    return 0


class _Replay:
    """A byte stream that first gives back what was read to detect the kind, then the rest of its source."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if not self.head:
            return self.rest.read(size)
        if size < 0:
            out, self.head = self.head + self.rest.read(), b""
        else:
            out, self.head = self.head[:size], self.head[size:]
        return out


def _explain(args: argparse.Namespace) -> int:
    from mailflow.evidence import decode, detect, explain

    try:
        since = _since(args.since)
    except ValueError:
        print(f"mailflow explain: --since {args.since!r} is not a date/time like 2026-11-27T08:00", file=sys.stderr)
        return 2
    name = "standard input" if args.file == "-" else args.file
    try:
        with contextlib.ExitStack() as stack:
            source = sys.stdin.buffer if args.file == "-" else stack.enter_context(open(args.file, "rb"))
            head = source.read(65536)
            if (args.kind or detect(decode(head))) == "smtplog":  # streamed: logs run to gigabytes
                size = None if args.file == "-" else os.fstat(source.fileno()).st_size
                return _print_explained(_stream_log(_Replay(head, source), name, size, args, since), args.json)
            text = decode(head + source.read())
    except OSError as exc:
        print(f"mailflow explain: cannot read {name}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if not text.strip():
        print("mailflow explain: the input is empty", file=sys.stderr)
        return 2
    return _print_explained(explain(text, args.kind), args.json)


def _since(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _stream_log(stream: _Replay, name: str, size: int | None, args: argparse.Namespace,
                since: datetime.datetime | None) -> dict[str, Any]:
    """A protocol log is read as a stream (constant memory), with a progress line on a terminal."""
    from mailflow.protocol_log import analyze_log

    tty = sys.stderr.isatty()

    def progress(done: int) -> None:
        if tty:
            share = f"{done * 100 // max(size, 1):3d}% " if size else ""
            print(f"\rreading {Path(name).name}: {share}({done / 1e6:,.0f} MB)", end="", file=sys.stderr)

    report = analyze_log(stream, address=args.address, remote=args.remote, since=since, progress=progress)
    if tty:
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr)
    return report.to_json()


def _print_explained(report: dict[str, Any], as_json: bool) -> int:
    import json

    from mailflow.evidence import recognised

    if as_json:
        print(json.dumps(report, indent=2, default=str))
    else:
        from bot.file_offer import findings_text

        print(findings_text(report), end="")
    return 0 if recognised(report) else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "chat"
    if command == "chat" and not hasattr(args, "transcript"):
        args.transcript, args.nameserver, args.no_checks = None, None, False
    handlers = {"chat": _chat, "serve": _serve, "check": _check, "diagram": _diagram, "explain": _explain,
                "package": _package}
    return handlers[command](args)
