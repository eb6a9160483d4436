"""Unattended recovery's checks: it starts only when nothing can go wrong without an operator.

The machine is ``raid1-lvm`` (two 2 TB disks, md RAID1, LVM) planned onto
disks described here (no disk is touched: the plan is computed over sparse
stand-ins, the recovery's stages are recorded ones). ``blkid -p`` answers come
from a dictionary.
"""

from __future__ import annotations

import dataclasses
import io
import json
import threading
from pathlib import Path

import pytest

from rescue_tui.boot.cmdline import parse_cmdline
from rescue_tui.boot.unattended import run_unattended
from rescue_tui.errors import RefusedError, RescueError
from rescue_tui.inventory.model import Inventory, TargetDisk
from rescue_tui.recover.unattended import Settings, carry_out, decide
from tests.integration.loophost import tar_backup
from tests.integration.restore.tls import TestCa, WebServer, serving_https
from tests.tui import recorded

LAYOUT = Path("layouts/examples/raid1-lvm.json")
TB2 = 2000398934016
MD0_UUID = "38d0842c:bac87d6f:b13495c3:60f3416c"
"""The layout's md0, in mdadm's notation (blkid writes it with dashes)."""
STICK = TargetDisk(name="sda", path="/dev/sda", size=8 << 30, serial="STICK", removable=True, rescue_medium=True)


def disk(name: str, serial: str, size: int = TB2, **more: object) -> TargetDisk:
    return TargetDisk(name=name, path=f"/dev/{name}", size=size, serial=serial, **more)  # type: ignore[arg-type]


def settings(
    tmp_path: Path,
    cmdline: str,
    disks: list[TargetDisk],
    probed: dict[str, dict[str, str]] | None = None,
    layout: Path = LAYOUT,
) -> Settings:
    embedded = tmp_path / "embedded"
    embedded.mkdir(exist_ok=True)
    (embedded / "layout.json").write_text(layout.read_text())
    return Settings(
        options=parse_cmdline(cmdline),
        embedded_dir=embedded,
        target_root=tmp_path / "target",
        journal_dir=tmp_path / "journal",
        inventory=lambda: Inventory(disks=(STICK, *disks), source="test"),
        probe=lambda device: (probed or {}).get(device, {}),
        stages=recorded.stages(),
    )


def refusal(tmp_path: Path, cmdline: str, disks: list[TargetDisk], **kwargs: object) -> str:
    lines: list[str] = []
    with pytest.raises(RefusedError) as caught:
        decide(settings(tmp_path, cmdline, disks, **kwargs), lines.append, lambda event: None)  # type: ignore[arg-type]
    return "\n".join(caught.value.lines())


BLANK = [disk("vda", "NEW1"), disk("vdb", "NEW2")]


def test_two_blank_disks_and_a_good_backup_decide_a_recovery_that_then_runs(tmp_path: Path) -> None:
    archive = tar_backup(tmp_path)
    said: list[str] = []
    s = settings(tmp_path, f"rescue.unattended rescue.backend=tar:{archive}", BLANK)
    decided = decide(s, said.append, lambda event: None)
    assert [d.path for d in decided.plan.disks] == ["/dev/vda", "/dev/vdb"]
    assert "mapping: sda -> vda (same size)" in said and any(line.startswith("backup lists: ok") for line in said)
    assert decided.recovery.journal is None and decided.prepared.destructive  # nothing applied yet
    line = carry_out(decided, said.append, threading.Event())
    assert line.startswith("recovered backup01; report: ")
    assert decided.recovery.journal is not None and decided.recovery.journal.is_file()


def test_without_a_backend_it_does_not_start(tmp_path: Path) -> None:
    assert "rescue.backend= names no backup" in refusal(tmp_path, "rescue.unattended", BLANK)


def test_a_bad_backend_spec_does_not_start(tmp_path: Path) -> None:
    with pytest.raises(RescueError, match="must be absolute"):
        decide(settings(tmp_path, "rescue.unattended rescue.backend=tar:x/y.tar", BLANK), print, lambda e: None)


def test_a_backup_that_fails_its_preflight_stops_it_before_apply(tmp_path: Path) -> None:
    missing = tmp_path / "gone.tar"
    with pytest.raises(RescueError, match="preflight"):
        decide(settings(tmp_path, f"rescue.unattended rescue.backend=tar:{missing}", BLANK), print, lambda e: None)
    assert not (tmp_path / "journal").exists() or not list((tmp_path / "journal").iterdir())


def test_a_target_that_holds_data_is_wiped_only_when_rescue_wipe_names_it(tmp_path: Path) -> None:
    archive = tar_backup(tmp_path)
    used = [disk("vda", "NEW1"), disk("vdb", "OLD2", signatures=("gpt", "ext4"), partitions=("vdb1",))]
    backend = f"rescue.unattended rescue.backend=tar:{archive}"
    why = refusal(tmp_path, backend, used)
    assert why == "/dev/vdb (OLD2) holds gpt, ext4, partition vdb1: name it in rescue.wipe= to let it be wiped"
    assert refusal(tmp_path, f"{backend} rescue.wipe=NEW1", used).startswith("/dev/vdb (OLD2) holds")
    for wipe in ("OLD2", "NEW1,OLD2", "all"):
        (tmp_path / wipe).mkdir()
        decided = decide(settings(tmp_path / wipe, f"{backend} rescue.wipe={wipe}", used), print, lambda e: None)
        assert [d.serial for d in decided.plan.disks] == ["NEW1", "OLD2"]


def test_a_spare_disk_that_could_have_been_chosen_makes_the_mapping_ambiguous(tmp_path: Path) -> None:
    three = [*BLANK, disk("vdc", "SPARE")]
    why = refusal(tmp_path, "rescue.unattended rescue.backend=tar:/b.tar", three)
    assert "sda -> vda was chosen by size, but vdc could take it too: map the disks in the console" in why


def test_disks_that_carry_the_layouts_uuids_are_a_recovery_done_before(tmp_path: Path) -> None:
    member = {"TYPE": "linux_raid_member", "UUID": "38d0842c-bac8-7d6f-b134-95c360f3416c", "UUID_SUB": "x"}
    recovered = [disk("vda", "NEW1", partitions=("vda1", "vda2"), signatures=("gpt",)), disk("vdb", "NEW2")]
    why = refusal(
        tmp_path, "rescue.unattended rescue.backend=tar:/b.tar rescue.wipe=all", recovered, probed={"/dev/vda2": member}
    )
    assert why == (
        "the disks already hold backup01's storage: vda2 (linux_raid_member of md0); "
        "it was recovered before (or these are its own disks): boot from disk"
    )


def test_no_layout_or_two_layouts_do_not_start(tmp_path: Path) -> None:
    s = settings(tmp_path, "rescue.unattended rescue.backend=tar:/b.tar", BLANK)
    (s.embedded_dir / "other.json").write_text(json.dumps({}))
    with pytest.raises(RefusedError, match="2 layouts are embedded"):
        decide(s, print, lambda e: None)
    missing = settings(tmp_path, "rescue.unattended rescue.backend=tar:/b.tar rescue.layout=/nowhere.json", BLANK)
    with pytest.raises(RefusedError, match=r"rescue.layout=/nowhere.json: no such file"):
        decide(missing, print, lambda e: None)


LUKS_LAYOUT = Path("layouts/examples/luks-lvm-thin.json")
NVME = [disk("vda", "NEW1", size=1024209543168)]


def test_a_layout_with_luks_starts_only_with_a_passphrase_file_and_recovers_with_its_first_line(tmp_path: Path) -> None:
    archive = tar_backup(tmp_path)
    backend = f"rescue.unattended rescue.backend=tar:{archive}"
    why = refusal(tmp_path, backend, NVME, layout=LUKS_LAYOUT)
    assert why.startswith("the plan creates LUKS containers (") and "rescue.passphrase_file=" in why
    empty = tmp_path / "empty.pw"
    empty.write_text("\n")
    assert "its first line is empty" in refusal(
        tmp_path, f"{backend} rescue.passphrase_file={empty}", NVME, layout=LUKS_LAYOUT
    )
    secret = tmp_path / "luks.pw"
    secret.write_text("correct horse\nnot this line\n")
    decided = decide(
        settings(tmp_path, f"{backend} rescue.passphrase_file={secret}", NVME, layout=LUKS_LAYOUT),
        print,
        lambda event: None,
    )
    assert decided.recovery.apply_options().passphrase == "correct horse"


def test_a_repository_password_file_reaches_the_backup_preflight_as_a_file_never_as_a_value(tmp_path: Path) -> None:
    archive = tar_backup(tmp_path)
    backend = f"rescue.unattended rescue.backend=tar:{archive}"
    missing = tmp_path / "nowhere.pw"
    assert refusal(tmp_path, f"{backend} rescue.password_file={missing}", BLANK) == (
        f"rescue.password_file={missing}: no such file (is the disk holding it mounted?)"
    )
    password = tmp_path / "repo.pw"
    password.write_text("repository secret\n")
    decided = decide(settings(tmp_path, f"{backend} rescue.password_file={password}", BLANK), print, lambda e: None)
    assert decided.recovery.request.credentials.password_file == password
    assert decided.recovery.request.credentials.password is None


def test_a_backup_over_https_signed_by_a_private_ca_is_trusted_through_rescue_ca_file(
    tmp_path: Path, test_ca: TestCa
) -> None:
    archive = tar_backup(tmp_path)
    with serving_https(archive.parent, test_ca) as server:
        backend = f"rescue.unattended rescue.backend=tar+{server.url(archive.name)}"
        with pytest.raises(RescueError, match="preflight") as caught:
            decide(settings(tmp_path, backend, BLANK), print, lambda e: None)
        assert "certificate" in " ".join(caught.value.lines())
        missing = tmp_path / "nowhere.pem"
        assert refusal(tmp_path, f"{backend} rescue.ca_file={missing}", BLANK) == (
            f"rescue.ca_file={missing}: no such file (is the disk holding it mounted?)"
        )
        line = f"{backend} rescue.ca_file={test_ca.certificate}"
        decided = decide(settings(tmp_path, line, BLANK), print, lambda e: None)
    assert decided.recovery.request.credentials.options == {"ca_file": str(test_ca.certificate)}


def test_a_layout_named_by_url_is_fetched_under_the_journal_and_recovered_from(
    tmp_path: Path, https_server: WebServer, test_ca: TestCa
) -> None:
    archive = tar_backup(tmp_path)
    (https_server.root / "web01.json").write_text(LAYOUT.read_text())
    url = https_server.url("web01.json")
    line = f"rescue.unattended rescue.backend=tar:{archive} rescue.layout={url}"
    with pytest.raises(RefusedError) as caught:  # the CA is not given: refused with curl's reason
        decide(dataclasses.replace(settings(tmp_path, line, BLANK), fetch_wait=0), print, lambda e: None)
    assert caught.value.message == (
        f"rescue.layout={url}: {url}: cannot fetch: SSL certificate problem: unable to get local issuer certificate"
    )
    said: list[str] = []
    decided = decide(settings(tmp_path, f"{line} rescue.ca_file={test_ca.certificate}", BLANK), said.append, print)
    fetched = Path(decided.plan.layout_source)
    assert fetched.parent == tmp_path / "journal" / "fetched"
    assert fetched.read_text() == LAYOUT.read_text()
    assert f"layout: fetched {url}" in said


@pytest.mark.parametrize(
    ("after", "powered", "last"),
    [
        ("", ["reboot"], "Rebooting into the recovered disks."),
        ("rescue.after=poweroff", ["poweroff"], "Powering off (rescue.after=poweroff)."),
        ("rescue.after=wait", [], "reboot when you are (rescue.after=wait)"),
        ("rescue.after=rebot", [], "reboot when you are (rescue.after=wait)"),
    ],
)
def test_what_a_recovery_that_worked_does_next_is_what_rescue_after_says(
    tmp_path: Path, after: str, powered: list[str], last: str
) -> None:
    archive = tar_backup(tmp_path)
    cmdline = f"rescue.unattended rescue.backend=tar:{archive} {after}"
    done: list[str] = []
    console = io.StringIO()
    outcome = run_unattended(
        parse_cmdline(cmdline),
        console,
        embedded_dir=tmp_path / "embedded",
        state_dir=tmp_path / "state",
        power=done.append,
        settings=settings(tmp_path, cmdline, BLANK),
    )
    assert outcome.status == "recovered", outcome.lines
    assert done == powered
    assert last in outcome.lines[-1] and console.getvalue().rstrip().endswith(outcome.lines[-1])
