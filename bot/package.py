"""Build the Teams app package (``mailflow package``): manifest.json with the ids filled in, plus both icons.

Why a command and not a zip in the repository: the bot id differs per deployment, and Teams delivers
nothing when the package's ``botId`` is not exactly the Azure Bot's Microsoft App ID. The template in
``manifest/`` carries ``${{...}}`` placeholders (the Teams Toolkit's notation) that only this module fills.
"""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST_DIR = Path(__file__).resolve().parents[1] / "manifest"
FILES = ("manifest.json", "color.png", "outline.png")
BOT_ID, TEAMS_APP_ID, BOT_DOMAIN = "${{BOT_ID}}", "${{TEAMS_APP_ID}}", "${{BOT_DOMAIN}}"
# The Teams app id is derived from the bot id when not given, so rebuilding the package for the same bot
# gives the same app id and Teams treats the new zip as an update of the installed app.
_APP_NAMESPACE = uuid.UUID("5b0d6c3e-6f1d-4f0e-9a43-6d61696c666c")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_HOST = re.compile(r"^(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class PackageError(Exception):
    """Bad input (exit code 2) or a missing/broken template (exit code 3); the message says which."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class PackageOptions:
    app_id: str  # the bot's Microsoft App ID (Azure Bot msaAppId)
    teams_app_id: str | None = None  # default: derived from app_id
    domain: str | None = None  # public host name of the bot's endpoint, for validDomains
    version: str | None = None  # default: the template's version


def guid(value: str, what: str = "--app-id") -> str:
    """The GUID in lower case, or PackageError saying what a GUID looks like."""
    text = value.strip().strip("{}")
    if not _GUID.match(text):
        raise PackageError(f"{what} must be a GUID like 00000000-0000-0000-0000-000000000000 "
                           f"(the Azure Bot's Microsoft App ID), not {value!r}")
    return text.lower()


def derived_teams_app_id(app_id: str) -> str:
    return str(uuid.uuid5(_APP_NAMESPACE, guid(app_id)))


def render_manifest(template: dict[str, Any], options: PackageOptions) -> dict[str, Any]:
    """The template with the placeholders filled; raises PackageError for bad options."""
    app_id = guid(options.app_id)
    teams_id = guid(options.teams_app_id, "--teams-app-id") if options.teams_app_id else derived_teams_app_id(app_id)
    if options.version is not None and not _SEMVER.match(options.version):
        raise PackageError(f"--version must look like 1.2.3, not {options.version!r}")
    domain = options.domain.strip().lower().rstrip(".") if options.domain else None
    if domain is not None and not _HOST.match(domain):
        raise PackageError(f"--domain must be a host name like bot.contoso.com (no scheme, port or path), "
                           f"not {options.domain!r}")
    manifest = json.loads(json.dumps(template))  # a deep copy
    manifest["id"] = _fill(manifest.get("id"), TEAMS_APP_ID, teams_id)
    for bot in manifest.get("bots") or ():
        bot["botId"] = _fill(bot.get("botId"), BOT_ID, app_id)
    domains = [d for d in manifest.get("validDomains") or () if d != BOT_DOMAIN]
    manifest["validDomains"] = [*domains, domain] if domain and domain not in domains else domains
    if options.version is not None:
        manifest["version"] = options.version
    left = sorted(set(re.findall(r"\$\{\{\w+\}\}", json.dumps(manifest))))
    if left:
        raise PackageError(f"the manifest template has placeholders this command does not fill: {', '.join(left)}", 3)
    return manifest


def _fill(value: Any, placeholder: str, actual: str) -> str:
    """``actual`` for the placeholder; a real id left in the template is replaced too (the command line wins)."""
    if not isinstance(value, str):
        raise PackageError(f"the manifest template has no {placeholder} where it is expected", 3)
    return actual


def load_template(folder: Path = MANIFEST_DIR) -> dict[str, Any]:
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackageError(f"no manifest template at {folder / 'manifest.json'}", 3) from None
    except (OSError, ValueError) as exc:
        raise PackageError(f"cannot read {folder / 'manifest.json'}: {exc}", 3) from None
    if not isinstance(data, dict):
        raise PackageError(f"{folder / 'manifest.json'} is not a JSON object", 3)
    return data


def build_package(options: PackageOptions, out: Path, folder: Path = MANIFEST_DIR) -> dict[str, Any]:
    """Write the zip (manifest.json, color.png, outline.png at its root) and return the manifest written."""
    manifest = render_manifest(load_template(folder), options)
    icons = {}
    for key in ("color", "outline"):
        name = manifest.get("icons", {}).get(key)
        if not isinstance(name, str) or "/" in name or "\\" in name:
            raise PackageError(f"the manifest's icons.{key} must name a file beside manifest.json", 3)
        try:
            icons[name] = (folder / name).read_bytes()
        except OSError as exc:
            raise PackageError(f"cannot read the {key} icon {folder / name}: {exc.strerror or exc}", 3) from None
    if out.is_dir():
        raise PackageError(f"--out {out} is a folder; give a file name like appPackage.zip")
    if not out.parent.exists():
        raise PackageError(f"the folder for --out {out} does not exist")
    temporary = out.with_name(out.name + ".partial")
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
            for name, data in icons.items():
                archive.writestr(name, data)
        temporary.replace(out)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise PackageError(f"cannot write {out}: {exc.strerror or exc}") from None
    return manifest
