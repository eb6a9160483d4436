"""What blivet's device tree says about the disks being captured, as plain data.

blivet populates its tree from udev and reads partition tables through
parted, which names partition flags the way our model does. Capture keeps
only plain data from it (never a blivet object), so it can be recorded and
replayed like any other probe.

Populate is not purely passive in blivet 3.7.1: with its default flags it
starts degraded md arrays (``allow_imperfect_devices``) and may activate
LVs or mount btrfs (``auto_dev_updates``). Both flags are held off while we
populate. Nothing here calls an action, ``do_it`` or a format's ``create``.
The one thing it sets off is a udev change event per captured device, so that
udev's database (blivet's source) is as current as the disks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rescue_tui.errors import CaptureError
from rescue_tui.udev import reprobe, udevd_running


@contextmanager
def _passive_flags() -> Iterator[None]:
    from blivet.flags import flags

    saved = (flags.allow_imperfect_devices, flags.auto_dev_updates)
    flags.allow_imperfect_devices = False
    flags.auto_dev_updates = False
    try:
        yield
    finally:
        flags.allow_imperfect_devices, flags.auto_dev_updates = saved


def blivet_facts(disks: Sequence[str], nodes: Sequence[str] = ()) -> dict[str, Any]:
    """Populate blivet read-only; return its view of the devices on ``disks`` (device nodes).

    ``nodes`` (every device on the disks) are probed by udev again first: blivet builds its tree
    from udev's database, which may lag behind the disks, while our own probes read the disks.
    """
    if not udevd_running():
        raise CaptureError("blivet not consulted: systemd-udevd is not running (blivet reads the udev database)")
    reprobe(nodes, error=CaptureError)
    for name in ("blivet", "program"):
        if not logging.getLogger(name).handlers:
            logging.getLogger(name).addHandler(logging.NullHandler())
    try:
        import blivet
    except Exception as exc:  # blivet fails at import in several ways when its GI bindings are missing
        raise CaptureError(f"blivet not consulted: cannot import it: {exc}") from exc
    storage = blivet.Blivet()
    started = time.monotonic()
    try:
        with _passive_flags():
            storage.reset()
        logging.getLogger(__name__).info("blivet populate: %.2f s", time.monotonic() - started)
    except Exception as exc:  # populate raises many unrelated types; none may abort a capture
        raise CaptureError(f"blivet not consulted: populate failed: {exc}") from exc
    return _facts(storage, disks, version=str(blivet.__version__))


def _facts(storage: Any, disks: Sequence[str], *, version: str) -> dict[str, Any]:
    # a single-device btrfs volume shares its member's path: start from the member
    roots = [d for d in storage.devices if d.path in disks and d.type != "btrfs volume"]
    devices: dict[str, Any] = {}
    partitions: dict[str, Any] = {}
    stack = list(roots)
    while stack:
        device = stack.pop()
        if device.path in devices:
            continue
        fmt = device.format
        devices[device.path] = {
            "class": type(device).__name__,
            "parents": sorted(p.path for p in device.parents),
            "format": fmt.type,
            "uuid": getattr(fmt, "vol_uuid", None) or getattr(fmt, "uuid", None),  # btrfs: the volume's
            "label": getattr(fmt, "label", None),
        }
        if fmt.type == "disklabel" and getattr(fmt, "parted_disk", None) is not None:
            for part in fmt.parted_disk.partitions:
                if part.number < 1:
                    continue  # free space and metadata pseudo-partitions
                flags = [f.strip() for f in part.getFlagsAsString().split(",") if f.strip()]
                partitions[part.path] = {"disk": device.path, "number": part.number, "flags": flags}
        stack.extend(device.children)
    return {"version": version, "devices": devices, "partitions": partitions}
