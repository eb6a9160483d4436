"""The boot's setup: the decision from the command line, the layout and sysfs; files written only where they go."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

from rescue_tui.cli import main
from rescue_tui.network.setup import Sources, decide, read_state, save_state, write_files
from rescue_tui.network.status import summary
from tests.conftest import DATA

NETWORKED = DATA / "layouts" / "good" / "networked.json"


def sources(tmp_path: Path, sys_net: Path, cmdline: str, layout: Path | None = NETWORKED) -> Sources:
    embedded = tmp_path / "embedded"
    embedded.mkdir(exist_ok=True)
    if layout is not None:
        shutil.copy(layout, embedded / "layout.json")
    (tmp_path / "cmdline").write_text(cmdline + "\n")
    return Sources(cmdline=tmp_path / "cmdline", embedded=embedded, sys_net=sys_net, mount_backup=False)


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_the_embedded_layout_gives_the_network_and_rescue_layout_another(tmp_path: Path, sys_net: Path) -> None:
    choice = decide(sources(tmp_path, sys_net, "boot=live"))
    assert choice.source == f"layout {tmp_path}/embedded/layout.json"
    assert "bond0: bond active-backup of enp1s0: 192.0.2.10/24 2001:db8::10/64" in choice.lines
    minimal = DATA / "layouts" / "good" / "minimal-uefi.json"
    choice = decide(sources(tmp_path, sys_net, f"boot=live rescue.layout={minimal}"))
    assert choice.lines == ("DHCP on every wired link (the layout has no network)",)


def test_a_layout_that_does_not_validate_is_a_line_and_dhcp(tmp_path: Path, sys_net: Path) -> None:
    bad = tmp_path / "bad.json"
    document = json.loads(NETWORKED.read_text())
    document["network"]["interfaces"][0]["mac"] = "nope"
    bad.write_text(json.dumps(document))
    choice = decide(sources(tmp_path, sys_net, f"rescue.layout={bad}"))
    assert choice.lines[0].startswith(f"{bad}: not used for the network: {bad}: $.network.interfaces[0] (eno1).mac:")
    assert choice.lines[-1] == "DHCP on every wired link (the layout has no network)"
    assert choice.fallback_dhcp


def test_rescue_net_wins_over_the_layout(tmp_path: Path, sys_net: Path) -> None:
    choice = decide(sources(tmp_path, sys_net, "rescue.net=enp2s0:dhcp"))
    assert choice.source == "rescue.net="
    assert choice.lines == ("enp2s0: dhcp (rescue.net=)",)


def test_setup_writes_only_its_files_and_a_second_run_replaces_them(tmp_path: Path, sys_net: Path) -> None:
    root = tmp_path / "root"
    write_files(decide(sources(tmp_path, sys_net, "")), root)
    assert tree(root) == [
        "run/systemd/network/10-rescue-bond0.20.netdev",
        "run/systemd/network/10-rescue-bond0.20.network",
        "run/systemd/network/10-rescue-bond0.netdev",
        "run/systemd/network/10-rescue-bond0.network",
        "run/systemd/network/10-rescue-eno1.network",
        "run/systemd/network/10-rescue-eno3.network",
        "run/systemd/resolved.conf.d/rescue-tui.conf",
    ]
    (root / "run/systemd/network/50-operator.network").write_text("[Match]\nName=x\n")
    write_files(decide(sources(tmp_path, sys_net, "rescue.net=off")), root)
    assert tree(root) == ["run/systemd/network/50-operator.network", "run/systemd/network/80-dhcp.network"]


def test_a_crafted_interface_id_cannot_write_outside_the_network_directory(tmp_path: Path, sys_net: Path) -> None:
    document = json.loads(NETWORKED.read_text())
    document["network"]["interfaces"][2]["id"] = "../../../../etc/evil"
    crafted = tmp_path / "crafted.json"
    crafted.write_text(json.dumps(document))
    root = tmp_path / "root"
    choice = decide(sources(tmp_path, sys_net, f"rescue.layout=/x\nrescue.layout={crafted}"))
    assert (
        "$.network.interfaces[2] (../../../../etc/evil).id: '../../../../etc/evil' is not an interface id"
        in (choice.lines[0])
    ), "the layout is refused"
    # Past validation (a layout read by other code), the file name still stays in its directory.
    choice = decide(sources(tmp_path, sys_net, ""))
    iface = dataclasses.replace(choice.network.interfaces[1], id="../../../../etc/evil")
    network = dataclasses.replace(choice.network, interfaces=(iface,), routes=())
    written = write_files(dataclasses.replace(choice, network=network, matched={iface.id: "name"}), root)
    network_dir = root / "run/systemd/network"
    assert written[0] == network_dir / "10-rescue-.._.._.._.._etc_evil.network"
    assert all(p.parent in (network_dir, root / "run/systemd/resolved.conf.d") for p in written)
    assert not (tmp_path / "etc").exists()


def test_the_state_the_welcome_screen_reads(tmp_path: Path, sys_net: Path) -> None:
    state = tmp_path / "network.json"
    assert read_state(state) == ()
    choice = decide(sources(tmp_path, sys_net, "rescue.net=enp2s0:dhcp"))
    save_state(choice, state)
    assert read_state(state) == ("enp2s0: dhcp (rescue.net=)",)
    assert summary(state) == "rescue.net=: enp2s0"
    state.write_text("[1, 2")
    assert read_state(state) == ()


def test_network_plan_prints_the_decision_and_the_files_and_writes_nothing(
    tmp_path: Path, sys_net: Path, capsys: object
) -> None:
    s = sources(tmp_path, sys_net, "")
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    code = main(
        ["network", "plan", "--cmdline", str(s.cmdline), "--layouts", str(s.embedded), "--sys-net", str(sys_net)]
    )
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert code == 0
    assert out.startswith(f"rescue network from layout {s.embedded}/layout.json:\n  eno1: found by MAC")
    assert "--- /run/systemd/network/10-rescue-bond0.netdev\n" in out
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before
    assert not os.path.exists("/run/systemd/network/10-rescue-bond0.netdev")
