"""The Teams app manifest against Microsoft's own JSON schema, offline, and the icons Teams insists on.

The schemas come from the npm package @microsoft/app-manifest (pinned in tools/node/package-lock.json),
which ``python3 run.py test`` installs into tools/node/node_modules. Without it these tests fail and
say how to install it: a schema check that silently skips is no check.

Why a translated pattern: from schema v1.23 on, one pattern uses ``\\p{L}`` (any letter), which Python's
``re`` rejects. The ``regex`` module understands it; without that module the pattern is rewritten to
the ``re`` equivalent ``[^\\W\\d_]`` (a word character that is neither a digit nor an underscore).
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from jsonschema import Draft4Validator, Draft6Validator, ValidationError

from bot.package import MANIFEST_DIR, PackageOptions, load_template, render_manifest

ROOT = Path(__file__).resolve().parents[2]
NODE_TOOLS = ROOT / "tools" / "node"
APP_MANIFEST = NODE_TOOLS / "node_modules" / "@microsoft" / "app-manifest"
SCHEMAS = APP_MANIFEST / "build" / "json-schemas" / "teams"
BOT = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
COMMANDS = {"help", "restart", "summary", "check", "explain"}


def schema_for(manifest: dict[str, Any]) -> dict[str, Any]:
    """The local copy of the schema the manifest's $schema URL names; fails when the npm package is missing."""
    if not (APP_MANIFEST / "package.json").exists():
        pytest.fail("the Teams manifest schemas are not installed: run `python3 run.py test` (needs node and npm) "
                    f"or `npm ci` in {NODE_TOOLS}")
    match = re.fullmatch(r"https://developer\.microsoft\.com/(?:[a-z]{2}-[a-z]{2}/)?json-schemas/teams/"
                         r"(v1\.\d+)/MicrosoftTeams\.schema\.json", manifest["$schema"])
    assert match, manifest["$schema"]
    path = SCHEMAS / match[1] / "MicrosoftTeams.schema.json"
    assert path.exists(), f"@microsoft/app-manifest has no schema {match[1]}"
    return json.loads(path.read_text(encoding="utf-8"))


def _letters(pattern: str) -> str:
    r"""``\p{L}`` rewritten for Python's ``re``, inside and outside character classes."""
    letter = r"[^\W\d_]"

    def in_class(match: re.Match[str]) -> str:
        rest = match[1].replace(r"\p{L}", "")
        return f"(?:{letter}|[{rest}])" if rest else letter

    pattern = re.sub(r"\[(?!\^)((?:\\.|[^\]\\])*\\p\{L\}(?:\\.|[^\]\\])*)\]", in_class, pattern)
    return pattern.replace(r"\p{L}", letter)


@functools.cache
def _compiled(pattern: str) -> Any:
    try:
        import regex  # type: ignore[import-not-found]
    except ImportError:
        return re.compile(_letters(pattern))
    return regex.compile(pattern)


def _pattern(validator: Any, pattern: str, instance: Any, _schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# Draft 4 has no "const", but the Teams schemas use it (manifestVersion): borrow Draft 6's, as ajv does.
TeamsValidator = jsonschema.validators.extend(
    Draft4Validator, {"pattern": _pattern, "const": Draft6Validator.VALIDATORS["const"]})


def schema_errors(manifest: dict[str, Any]) -> list[str]:
    schema = schema_for(manifest)
    validator = TeamsValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(manifest)]


def rendered(**options: Any) -> dict[str, Any]:
    return render_manifest(load_template(), PackageOptions(BOT, **options))


# -- the manifest ---------------------------------------------------------------------------------


def test_the_filled_manifest_is_valid_against_the_official_schema():
    manifest = rendered(domain="mailflow.contoso.com")
    assert schema_errors(manifest) == []
    assert re.fullmatch(r"v1\.(\d+)", Path(manifest["$schema"]).parent.name)
    assert int(manifest["manifestVersion"].split(".")[1]) >= 19


def test_the_schema_check_catches_mistakes():
    """The validator is no rubber stamp: each of these breaks a rule of the official schema."""
    good = rendered()
    broken = [
        {**good, "id": "not-a-guid"},
        {**good, "manifestVersion": "1.0"},  # "const" in the schema
        {**good, "accentColor": "blue"},
        {**good, "name": {"short": "x" * 31}},
        {**good, "bots": [{**good["bots"][0], "scopes": ["everywhere"]}]},
        {k: v for k, v in good.items() if k != "developer"},
    ]
    for manifest in broken:
        assert schema_errors(manifest), manifest


def test_letter_patterns_from_schema_v1_23_work_without_the_regex_module():
    pattern = _letters(r"^[\p{L}][\p{L}0-9._]*$")
    assert re.fullmatch(pattern, "Zählung_2.x") and re.fullmatch(pattern, "名前")
    assert not re.fullmatch(pattern, "2abc") and not re.fullmatch(pattern, "_abc") and not re.fullmatch(pattern, "a-b")


def test_the_official_validator_in_node_agrees():
    """@microsoft/app-manifest's own AppManifestUtils.validateAgainstSchema (ajv), on its local schema copy."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: install Node.js 18+ with npm, then run `python3 run.py test`")
    schema_for(rendered())  # fails with the install hint when the package is missing
    script = ("const {AppManifestUtils} = require('@microsoft/app-manifest');"
              "let s='';process.stdin.on('data',d=>s+=d).on('end',async()=>{"
              "console.log(JSON.stringify(await AppManifestUtils.validateAgainstSchema(JSON.parse(s))));});")
    for manifest, valid in ((rendered(domain="mailflow.contoso.com"), True), ({**rendered(), "id": "x"}, False)):
        done = subprocess.run([node, "-e", script], input=json.dumps(manifest), capture_output=True, text=True,
                              cwd=NODE_TOOLS, timeout=60, check=True)
        errors = json.loads(done.stdout)
        assert (errors == []) is valid, errors


def test_bot_scopes_commands_and_placeholders():
    template = load_template()
    (bot,) = template["bots"]
    assert bot["botId"] == "${{BOT_ID}}" and template["id"] == "${{TEAMS_APP_ID}}"
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    covered = {scope for commands in bot["commandLists"] for scope in commands["scopes"]}
    assert covered == set(bot["scopes"])
    for commands in bot["commandLists"]:
        assert {c["title"] for c in commands["commands"]} == COMMANDS
        assert all(len(c["description"]) > 20 for c in commands["commands"])
    assert template["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", template["version"])
    assert "validDomains" in template


# -- the icons ------------------------------------------------------------------------------------


def png_size_and_type(data: bytes) -> tuple[int, int, int, int]:
    """Width, height, bit depth and colour type, from the IHDR chunk that every PNG starts with."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height, depth, color_type = struct.unpack(">IIBB", data[16:26])
    return width, height, depth, color_type


def rgba_pixels(data: bytes) -> list[tuple[int, int, int, int]]:
    """Every pixel of an 8-bit RGBA, non-interlaced PNG (all five row filters)."""
    width, height, depth, color_type = png_size_and_type(data)
    assert (depth, color_type, data[28]) == (8, 6, 0), "expected 8-bit RGBA without interlacing"
    idat, offset = b"", 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if kind == b"IDAT":
            idat += data[offset + 8:offset + 8 + length]
        offset += 12 + length
    raw, stride, previous, pixels = zlib.decompress(idat), width * 4, bytearray(width * 4), []
    for y in range(height):
        kind, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left, up, corner = (row[i - 4] if i >= 4 else 0), previous[i], (previous[i - 4] if i >= 4 else 0)
            if kind == 1:
                row[i] = (row[i] + left) & 255
            elif kind == 2:
                row[i] = (row[i] + up) & 255
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                nearest = min((abs(p - left), 0, left), (abs(p - up), 1, up), (abs(p - corner), 2, corner))[2]
                row[i] = (row[i] + nearest) & 255
        pixels += [tuple(row[i:i + 4]) for i in range(0, stride, 4)]
        previous = row
    return pixels


def test_icon_sizes():
    assert png_size_and_type((MANIFEST_DIR / "color.png").read_bytes())[:2] == (192, 192)
    assert png_size_and_type((MANIFEST_DIR / "outline.png").read_bytes())[:2] == (32, 32)


def test_outline_icon_is_white_on_transparent():
    pixels = rgba_pixels((MANIFEST_DIR / "outline.png").read_bytes())
    assert any(p[3] == 0 for p in pixels) and any(p[3] == 255 for p in pixels)
    assert all(p[:3] == (255, 255, 255) for p in pixels if p[3]), "outline.png may only hold white"
    transparent = sum(p[3] == 0 for p in pixels)
    assert pixels[0][3] == 0 and transparent > len(pixels) // 2  # the background, not just a few holes


def test_color_icon_is_opaque():
    pixels = rgba_pixels((MANIFEST_DIR / "color.png").read_bytes())
    assert len(pixels) == 192 * 192 and all(p[3] == 255 for p in pixels)


def test_the_icon_script_reproduces_the_committed_icons(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "tools" / "make_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "MANIFEST", tmp_path)
    module.main()
    for name in ("color.png", "outline.png"):
        assert (tmp_path / name).read_bytes() == (MANIFEST_DIR / name).read_bytes(), name
