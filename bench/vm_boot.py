"""How big the rescue image is and how fast it boots to its first screen under QEMU TCG.

    python -m bench.vm_boot [--runs 1] [--firmware bios uefi] [--memory 1024] [--layout FILE|none] [--json]

Builds the image with ``iso/build``, with a layout embedded as on a machine's own
medium (``layouts/examples/raid1-lvm.json`` unless told; the cached image is reused,
and the build time and whether each stage was cached are reported). Then, per
firmware and ``--runs`` times, it boots the ISO from power-on as a CD-ROM with no disk
and times QEMU's start to the operator console's first frame on ttyS0, and, beside
it, to the plain screen (``rescue.face=plain``, the baseline the console replaced).
grub's 3 s countdown is skipped by pressing Enter at the menu, as the tests do; add
3 s for a machine where nobody presses it. Then it measures the guest's memory after
boot and how long restoring a booted snapshot takes (``-loadvm`` to a shell that
answers), the trick the VM tests use.

Goals (issue 13, DESIGN.md): ISO <= 350 MB, first console frame <= 45 s, works in 1 GiB
RAM. Exits 0 when every goal is met, 1 otherwise. Needs root (the image build).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rescue_tui.drill.machine import (
    PLAIN_GRUB_ENTRY,
    PLAIN_SCREEN,
    SNAPSHOT,
    Firmware,
    Image,
    Machine,
    image_from_build,
)  # fmt: skip

REPO = Path(__file__).resolve().parent.parent
GOAL_ISO_BYTES = 350 * 1000 * 1000
GOAL_BOOT_SECONDS = 45.0
TAKES_THE_SCREEN = b"\x1b[?1049h"
BOOT_TIMEOUT = 300.0
DEFAULT_LAYOUT = REPO / "layouts" / "examples" / "raid1-lvm.json"


def build(layout: Path | None) -> tuple[Image, dict[str, Any]]:
    start = time.monotonic()
    command = [str(REPO / "iso" / "build"), "--json", *(["--layout", str(layout)] if layout else [])]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"iso/build failed:\n{result.stderr[-4000:]}")
    info = json.loads(result.stdout.strip().splitlines()[-1])
    info["wall_seconds"] = round(time.monotonic() - start, 1)
    return image_from_build(result.stdout), info


def boot_once(image: Image, firmware: Firmware, memory: int, work: Path, *, snapshot: bool) -> dict[str, Any]:
    """One boot from power-on; with ``snapshot``, also memory use and a timed restore."""
    work.mkdir(parents=True)
    state = work / "state.qcow2" if snapshot else None
    machine = Machine(image=image, workdir=work / "boot", firmware=firmware, memory_mb=memory, state=state)
    machine.start()
    out: dict[str, Any] = {}
    try:
        out["first_screen_s"] = round(machine.wait_first_screen(BOOT_TIMEOUT), 1)
        time.sleep(3)  # the rest of the frame (footer), then quiet
        log = (machine.workdir / "ttyS0.log").read_bytes()
        out["first_frame_bytes"] = len(log) - log.rfind(TAKES_THE_SCREEN)
        if snapshot:
            machine.connect_shell()
            machine.run("timeout 90 systemctl is-system-running --wait", timeout=120)
            mem = machine.check("free -m | awk '/^Mem:/ {print $2, $3, $7}'").split()
            out["guest_mem_total_mb"], out["guest_mem_used_mb"], out["guest_mem_available_mb"] = map(int, mem)
            out["systemd"] = machine.check("systemd-analyze | head -1").strip()
            start = time.monotonic()
            machine.savevm(SNAPSHOT)
            out["savevm_s"] = round(time.monotonic() - start, 1)
    finally:
        machine.kill()
    if snapshot:
        restored = Machine(
            image=image,
            workdir=work / "restore",
            firmware=firmware,
            memory_mb=memory,
            state=state,
            loadvm=SNAPSHOT,
        )
        start = time.monotonic()
        restored.start()
        try:
            restored.connect_shell(timeout=60)
            restored.check("true")
            out["loadvm_to_shell_s"] = round(time.monotonic() - start, 1)
        finally:
            restored.kill()
    return out


def plain_once(image: Image, firmware: Firmware, memory: int, work: Path) -> float:
    """One boot from power-on to the plain screen's prompt (grub entry ``rescue.face=plain``): today's baseline."""
    machine = Machine(image=image, workdir=work, firmware=firmware, memory_mb=memory)
    machine.start()
    try:
        return round(machine.wait_first_screen(BOOT_TIMEOUT, grub_entry=PLAIN_GRUB_ENTRY, screen=PLAIN_SCREEN), 1)
    finally:
        machine.kill()


def _cached(flag: bool) -> str:
    return "cached" if flag else "built"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.vm_boot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="boots per firmware (default 1)")
    parser.add_argument("--firmware", nargs="+", default=["bios", "uefi"], choices=["bios", "uefi"])
    parser.add_argument("--memory", type=int, default=1024, help="guest RAM in MiB (default 1024)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument(
        "--layout", default=str(DEFAULT_LAYOUT),
        help=f"the layout embedded in the image (default {DEFAULT_LAYOUT.relative_to(REPO)}; 'none': no layout)",
    )  # fmt: skip
    args = parser.parse_args(argv)

    image, build_info = build(None if args.layout == "none" else Path(args.layout).resolve())
    sizes = {
        name: (image.dir / name).stat().st_size
        for name in ("rescue-tui.iso", "filesystem.squashfs", "initrd.img", "vmlinuz")
    }
    report: dict[str, Any] = {"build": build_info, "bytes": sizes, "memory_mb": args.memory, "boots": {}}
    work = Path(tempfile.mkdtemp(prefix="vm_boot-"))
    try:
        firmware: Firmware
        for firmware in args.firmware:
            runs = [
                boot_once(image, firmware, args.memory, work / f"{firmware}-{i}", snapshot=(i == 0))
                for i in range(args.runs)
            ]
            times = [r["first_screen_s"] for r in runs]
            plain = [plain_once(image, firmware, args.memory, work / f"{firmware}-plain-{i}") for i in range(args.runs)]
            report["boots"][firmware] = {
                "runs": runs,
                "median_first_screen_s": round(statistics.median(times), 1),
                "plain_screen_s": plain,
                "median_plain_screen_s": round(statistics.median(plain), 1),
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)

    goals = {
        "iso_at_most_350_mb": sizes["rescue-tui.iso"] <= GOAL_ISO_BYTES,
        "first_console_frame_within_45_s": all(
            b["median_first_screen_s"] <= GOAL_BOOT_SECONDS for b in report["boots"].values()
        ),
        "runs_in_ram": all(r["runs"][0].get("guest_mem_available_mb", 0) > 0 for r in report["boots"].values()),
    }
    report["goals"] = goals
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        b = build_info
        stages = f"rootfs {_cached(b['rootfs_cached'])}, image {_cached(b['image_cached'])}"
        print(f"image {b['key']}: built in {b['wall_seconds']} s ({stages})")
        for name, size in sizes.items():
            print(f"  {name:<20} {size / 1e6:7.1f} MB")
        for firmware, result in report["boots"].items():
            first = result["runs"][0]
            each = ", ".join(str(r["first_screen_s"]) for r in result["runs"])
            print(
                f"{firmware}: operator console's first frame on ttyS0 after {result['median_first_screen_s']} s "
                f"(median of {len(result['runs'])}; each: {each}; {first.get('first_frame_bytes')} bytes)"
            )
            plain_each = ", ".join(str(t) for t in result["plain_screen_s"])
            print(f"  plain screen (rescue.face=plain) after {result['median_plain_screen_s']} s (each: {plain_each})")
            print(
                f"  guest memory after boot: {first.get('guest_mem_used_mb')} MiB used, "
                f"{first.get('guest_mem_available_mb')} MiB available of {first.get('guest_mem_total_mb')} MiB"
            )
            print(f"  {first.get('systemd')}")
            print(f"  savevm {first.get('savevm_s')} s, restore to a shell {first.get('loadvm_to_shell_s')} s")
        for goal, met in goals.items():
            print(f"goal {goal}: {'met' if met else 'NOT MET'}")
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
