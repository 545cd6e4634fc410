"""`summarize` and `summarize --live` on site records: devices not in git, prune, zones held by them.

The previews are the real Pulumi CLI's JSON, captured by ``tests/cli/capture_previews.py`` (its
docstring tells the story); ``--live`` runs against a local API server holding the captured site.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pulumi_chekt.cli.__main__ import main
from pulumi_chekt.cli.preview import PRUNE, is_device, is_record, summarize_preview
from pulumi_chekt.cli.site_sets import LiveDevice
from pulumi_chekt.cli.summarize import render
from pulumi_chekt.localserver import ClientConfig, ServerConfig
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.routes import LIST, WRITES, count

PREVIEWS = Path(__file__).resolve().parent / "previews"
NOT_IN_GIT_HEADER = ["### Not in git", "", "| Site | Device | Zone | Type |", "| --- | --- | --- | --- |"]
ADVICE = "delete it in CHeKT, declare it in the site file, or set \\`prune: true\\` in the site file"  # zone_conflicts.UNDECLARED_ADVICE, as literal markdown


@pytest.fixture
def server_config() -> ServerConfig:
    """Dealer 2 with the captured story's sites 3, 4 and 5."""
    return ServerConfig(
        clients=[ClientConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, partner="adc")],
        dealers={2: [3, 4, 5]},
    )


def preview(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((PREVIEWS / f"{name}.json").read_text(encoding="utf-8"))
    return document


def summarize(
    document: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> list[str]:
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    status = main(["summarize", *args, str(path)])
    out, err = capsys.readouterr()
    assert status == 0, err
    return out.splitlines()


def seed_captured_site(admin: Any, **changed: dict[str, Any]) -> dict[str, int]:
    """Site 3 as CHeKT held it when ``change.json`` was captured (``changed``: fields to alter)."""
    fields = ("external_device_id", "device_type", "zone_number", "name")
    devices = [
        {**{k: d[k] for k in fields if d.get(k) is not None}, **changed.get(d["external_device_id"], {})}
        for d in preview("change-live")
    ]
    made = admin.seed([{"dealer_id": 2, "sites": [{"site_id": 3, "devices": devices}]}])["devices"]
    return {d["external_device_id"]: d["device_id"] for d in made}


@pytest.fixture
def live_env(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [key for key in os.environ if key.startswith("CHEKT_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("CHEKT_BASE_URL", server.url)
    monkeypatch.setenv("CHEKT_TOKEN_URL", server.token_url)
    monkeypatch.setenv("CHEKT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("CHEKT_CLIENT_SECRET", CLIENT_SECRET)


def section(lines: list[str], heading: str) -> list[str]:
    """The lines of a section, from its heading to the next blank line after its table."""
    start = lines.index(heading)
    end = next((n for n in range(start + 4, len(lines)) if not lines[n].startswith("|")), len(lines))
    return lines[start:end]


def test_a_refreshed_preview_names_the_devices_no_file_declares(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = summarize(preview("unchanged"), tmp_path, capsys)
    # The site record is no device: three devices unchanged, no change.
    assert lines[:3] == [
        "**CHeKT devices: no changes** (3 unchanged)",
        "_No drift: every live device is as the last `pulumi up` left it._",
        "**Not in git: 3 devices** in CHeKT that no site file declares: `pulumi up` leaves them alone "
        "(declare them, delete them in CHeKT, or set `prune: true` in the site file).",
    ]
    ids = {d["external_device_id"]: d["device_id"] for d in preview("change-live")}
    assert section(lines, "### Not in git") == [
        *NOT_IN_GIT_HEADER,
        f"| 2/3 | `stray-1` (device {ids['stray-1']}) | `007` | `camera` |",
        f"| 2/3 | `stray-2` (device {ids['stray-2']}) | `008` | `bridge` |",
        f"| 2/3 | `adoptee` (device {ids['adoptee']}) | `009` | `camera` |",
    ]
    assert "other" not in "\n".join(lines)  # at site 4, which no file declares: never looked at


def test_what_a_preview_without_show_sames_or_refresh_could_not_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert summarize(preview("unchanged-no-sames"), tmp_path, capsys) == [
        "**CHeKT devices: no changes** (3 unchanged)",
        "_No drift: every live device is as the last `pulumi up` left it._",
        "_Devices that no site file declares were not checked at dealer 2, site 3 (unchanged, and the "
        "preview has no `--show-sames`)._",
    ]
    assert summarize(preview("unchanged-unrefreshed"), tmp_path, capsys) == [
        "**CHeKT devices: no changes** (3 unchanged)",
        "_Not refreshed: changes made in CHeKT outside git, and devices that no site file declares, are "
        "not shown (preview with `--refresh`)._",
    ]


def test_a_declared_device_is_not_in_git_no_more_and_a_new_site_is_not_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = preview("change")
    records = [step for step in document["steps"] if is_record(step)]
    assert records and not any(is_device(step) for step in records)
    lines = summarize(document, tmp_path, capsys)
    assert lines[0] == "**CHeKT devices: 4 to create, 1 to update, 0 to replace, 0 to delete** (2 unchanged)"
    assert lines[2].startswith("**Not in git: 2 devices**")
    table = section(lines, "### Not in git")
    assert [row.split(" | ")[1].split(" ")[0] for row in table[4:]] == ["`stray-1`", "`stray-2`"]
    # The preview's own plan-time warnings (from the record's refreshed listing) are in the comment.
    warnings = [line for line in lines if line.startswith("_⚠ dealer 2, site 3: device ")]
    assert [w.split(" will fail: ")[0] for w in warnings] == [
        "_⚠ dealer 2, site 3: device 'cam-c'",
        "_⚠ dealer 2, site 3: device 'cam-b'",
    ]
    assert "zone\\_number '007' is already used by device 'stray-1'" in warnings[0]
    assert warnings[1].endswith(f"{ADVICE}_")
    assert (
        "_Devices that no site file declares were not checked at dealer 2, site 5 (no site record yet: the "
        "first refreshed preview after `pulumi up` lists them)._" in (lines)
    )
    assert "### Dealer 2, site 3: 3 to create, 1 to update" in lines


def test_prune_rows_come_first_and_are_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = summarize(preview("change-prune"), tmp_path, capsys)
    assert lines[0] == (
        "**CHeKT devices: 4 to create, 1 to update, 0 to replace, 0 to delete, 2 to prune** (2 unchanged)"
    )
    assert "### Not in git" not in lines and not any("will fail" in line for line in lines)
    site = section(lines, "### Dealer 2, site 3: 3 to create, 1 to update, 2 to prune")
    ids = {d["external_device_id"]: d["device_id"] for d in preview("change-live")}
    assert site[4:6] == [
        f"| prune | `stray-1` (device {ids['stray-1']}) | in CHeKT, in no site file: `pulumi up` deletes it "
        "(`prune: true`)<br>device_type: `camera`<br>zone_number: `007` |",
        f"| prune | `stray-2` (device {ids['stray-2']}) | in CHeKT, in no site file: `pulumi up` deletes it "
        "(`prune: true`)<br>device_type: `bridge`<br>zone_number: `008` |",
    ]
    assert [row.split(" | ")[0] for row in site[6:]] == ["| update", "| create", "| create", "| create"]
    assert "adoptee` (device" not in "\n".join(lines)  # declared now: adopted, never pruned

    # Without --refresh the preview cannot list what prune deletes, and says so loudly.
    unrefreshed = summarize(preview("change-prune-unrefreshed"), tmp_path, capsys)
    assert (
        "_⚠ `prune: true` at dealer 2, site 3 (not refreshed): `pulumi up` deletes the devices there that no "
        "site file declares, and this preview did not list them._"
    ) in unrefreshed
    assert not any(line.startswith("| prune") for line in unrefreshed)


def test_live_names_each_write_into_a_zone_held_by_an_undeclared_device(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], admin: Any, live_env: None
) -> None:
    ids = seed_captured_site(admin, adoptee={"device_type": "bridge"})
    lists, writes = count(admin, LIST), count(admin, *WRITES)
    lines = summarize(preview("change"), tmp_path, capsys, "--live")
    assert count(admin, LIST) - lists == 2  # sites 3 and 5: each has creates or a zone move
    assert count(admin, *WRITES) == writes
    assert lines[0] == (
        "**CHeKT devices: 3 to create, 1 to adopt, 1 to update, 0 to replace, 0 to delete** (2 unchanged)"
    )
    rows = {line.split(" | ")[1].split(" ")[0]: line for line in lines if line.startswith("| ")}
    held_1 = f"zone\\_number '007' is already used by device 'stray-1' \\(device\\_id {ids['stray-1']}\\)"
    held_2 = f"zone\\_number '008' is already used by device 'stray-2' \\(device\\_id {ids['stray-2']}\\)"
    assert (
        f"⚠ \\`pulumi up\\` will fail: {held_1}, which no site file declares; {ADVICE}<br>" in rows["`cam-c`"]
    )
    assert f"⚠ \\`pulumi up\\` will fail: {held_2}" in rows["`cam-b`"]
    assert rows["`adoptee`"].startswith(
        f"| adopt | `adoptee` (device {ids['adoptee']}) | ⚠ exists live as a "
    )
    assert "a bridge at zone 009, not a camera: \\`pulumi up\\` will fail" in rows["`adoptee`"]
    assert "⚠" not in rows["`cam-d`"] + rows["`cam-e`"]
    # Named again above the tables (a long site's rows may be cut), instead of the preview's warnings.
    head = [line for line in lines if line.startswith("_⚠ dealer 2, site 3, device ")]
    assert [line.split(":")[0] for line in head] == [
        "_⚠ dealer 2, site 3, device 'adoptee'",
        "_⚠ dealer 2, site 3, device 'cam-b'",
        "_⚠ dealer 2, site 3, device 'cam-c'",
    ]
    assert not any(line.startswith("_⚠ dealer 2, site 3: device") for line in lines)
    # Site 5 was listed: nothing there that no file declares, so no "not checked" note.
    assert not any("not checked" in line for line in lines)
    assert len(section(lines, "### Not in git")) == 6


def test_live_with_prune_sees_nothing_in_the_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], admin: Any, live_env: None
) -> None:
    seed_captured_site(admin)
    lines = summarize(preview("change-prune"), tmp_path, capsys, "--live")
    assert not any("will fail" in line for line in lines)
    assert lines[0].startswith("**CHeKT devices: 3 to create, 1 to adopt, 1 to update,")
    assert lines[0].endswith(", 2 to prune** (2 unchanged)")


def test_live_without_site_records_takes_the_declared_set_from_the_preview(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], admin: Any, live_env: None
) -> None:
    """A program older than the site records: the devices the preview shows are the declared set."""
    ids = seed_captured_site(admin)
    document = preview("change")
    document["steps"] = [step for step in document["steps"] if not is_record(step)]
    document["diagnostics"] = []
    lines = summarize(document, tmp_path, capsys, "--live")
    head = [line for line in lines if line.startswith("_⚠ dealer 2, site 3, device ")]
    assert [line.split(":")[0] for line in head] == [
        "_⚠ dealer 2, site 3, device 'cam-b'",
        "_⚠ dealer 2, site 3, device 'cam-c'",
    ]
    assert f"device 'stray-1' \\(device\\_id {ids['stray-1']}\\)" in head[1]
    assert "| adopt | `adoptee`" in "\n".join(lines)  # declared by the preview: not a holder


def test_not_in_git_and_prune_rows_keep_within_the_budget() -> None:
    summary = summarize_preview(preview("change"))
    many = tuple(LiveDevice(f"stray-{n:04d}", n + 100, "camera", f"{n + 100:04d}") for n in range(3_000))
    site = replace(summary.sites[0], undeclared=many)
    listed = replace(summary, sites=[site, *summary.sites[1:]])
    out = render(listed, max_chars=6_000)
    assert len(out) <= 6_000
    assert "**Not in git: 3000 devices**" in out
    assert "### Not in git" in out and "### Dealer 2, site 3: 3 to create, 1 to update" in out
    pruned = replace(listed, sites=[replace(site, prune=True), *summary.sites[1:]])
    assert pruned.count(PRUNE) == 3_000
    out = render(pruned, max_chars=6_000)
    assert len(out) <= 6_000
    assert ", 3000 to prune** (2 unchanged)" in out.splitlines()[0]
    site_rows = section(out.splitlines(), "### Dealer 2, site 3: 3 to create, 1 to update, 3000 to prune")[4:]
    assert site_rows and all(row.startswith("| prune | `stray-") for row in site_rows)  # creates are cut
    assert "_… and " in out
