"""``mailflow package``: the zip Teams accepts (three files at its root, ids filled in) and clear refusals."""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest

from bot.cli import main
from bot.package import MANIFEST_DIR, PackageError, PackageOptions, build_package, derived_teams_app_id
from tests.bot.test_manifest import schema_errors

BOT = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["package", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_zip_has_the_manifest_and_icons_at_its_root_with_the_ids_filled_in(tmp_path, capsys):
    out = tmp_path / "appPackage.zip"
    code, printed, err = run(capsys, "--app-id", "{" + BOT.upper() + "}", "--out", str(out),
                             "--domain", "mailflow.contoso.com", "--version", "1.2.3")
    assert (code, err) == (0, "")
    assert str(out) in printed and BOT in printed
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        for name in ("color.png", "outline.png"):
            assert archive.read(name) == (MANIFEST_DIR / name).read_bytes()
    assert manifest["bots"][0]["botId"] == BOT
    assert manifest["id"] == derived_teams_app_id(BOT) != BOT
    assert manifest["validDomains"] == ["mailflow.contoso.com"]
    assert manifest["version"] == "1.2.3"
    assert "${{" not in json.dumps(manifest)
    assert schema_errors(manifest) == []
    assert not list(tmp_path.glob("*.partial"))


def test_the_default_output_name_and_a_stable_teams_app_id(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "--app-id", BOT)[0] == 0
    with zipfile.ZipFile(tmp_path / "appPackage.zip") as archive:
        first = json.loads(archive.read("manifest.json"))
    assert first["validDomains"] == []  # the placeholder is dropped without --domain
    again = build_package(PackageOptions(BOT), tmp_path / "again.zip")
    assert again["id"] == first["id"]  # the same bot gives the same Teams app: an upload updates it
    other = "11111111-2222-3333-4444-555555555555"
    assert build_package(PackageOptions(BOT, teams_app_id=other), tmp_path / "own.zip")["id"] == other


@pytest.mark.parametrize(("argv", "message"), [
    (["--app-id", "not-a-guid"], "--app-id must be a GUID"),
    (["--app-id", BOT + "0"], "--app-id must be a GUID"),
    (["--app-id", BOT, "--teams-app-id", "x"], "--teams-app-id must be a GUID"),
    (["--app-id", BOT, "--domain", "https://bot.contoso.com/api"], "--domain must be a host name"),
    (["--app-id", BOT, "--version", "v1"], "--version must look like 1.2.3"),
    (["--app-id", BOT, "--out", "{tmp}/missing/app.zip"], "does not exist"),
    (["--app-id", BOT, "--out", "{tmp}"], "is a folder"),
])
def test_bad_input_is_refused_with_exit_code_2(tmp_path, capsys, argv, message):
    code, out, err = run(capsys, *(a.replace("{tmp}", str(tmp_path)) for a in argv))
    assert code == 2 and out == ""
    assert err.startswith("mailflow package: ") and message in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_missing_app_id_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["package"])
    assert raised.value.code == 2
    assert "--app-id" in capsys.readouterr().err


def test_a_broken_template_or_missing_icon_is_exit_code_3(tmp_path):
    folder = tmp_path / "manifest"
    shutil.copytree(MANIFEST_DIR, folder)
    (folder / "outline.png").unlink()
    with pytest.raises(PackageError, match="outline icon") as raised:
        build_package(PackageOptions(BOT), tmp_path / "app.zip", folder)
    assert raised.value.exit_code == 3
    (folder / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(PackageError, match="cannot read") as raised:
        build_package(PackageOptions(BOT), tmp_path / "app.zip", folder)
    assert raised.value.exit_code == 3
    template = json.loads((MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8"))
    (folder / "manifest.json").write_text(json.dumps({**template, "name": {"short": "${{APP_NAME}}"}}))
    with pytest.raises(PackageError, match="APP_NAME"):
        build_package(PackageOptions(BOT), tmp_path / "app.zip", folder)
    assert not (tmp_path / "app.zip").exists()
