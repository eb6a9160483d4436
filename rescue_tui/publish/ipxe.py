"""The iPXE scripts a published bucket holds: one that every machine boots, one per machine, one per MAC or serial.

A machine's firmware (or a chained iPXE) runs ``BASE/boot.ipxe``. That script asks for
``by-mac/<the MAC it booted from>.ipxe``, then ``by-serial/<its DMI serial>.ipxe``; each of those
chains to the machine's own ``PREFIX/boot.ipxe``, which boots the rescue image with the layout
published beside it. Every URL in them is absolute: a script is correct whoever fetched it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rescue_tui.boot.cmdline import IMAGE_OPTIONS

NET_INITRD = "initrd-net.img"
"""The initramfs with the network drivers (``iso/build`` makes it beside ``initrd.img``)."""


def dispatch_script(base: str) -> str:
    """``boot.ipxe`` at the top of the bucket: find this machine's recovery set by MAC, else by DMI serial."""
    return "\n".join(
        [
            "#!ipxe",
            "# rescue-tui: boot this machine's own recovery set, found by the MAC it booted from, else its DMI serial.",
            f"chain --autofree {base}/by-mac/${{netX/mac:hexhyp}}.ipxe || "
            "echo rescue-tui: nothing for MAC ${netX/mac}",
            f"chain --autofree {base}/by-serial/${{smbios/serial:uristring}}.ipxe || "
            "echo rescue-tui: nothing for serial ${smbios/serial}",
            f"echo rescue-tui: no recovery set is published for this machine in {base} (rescue-tui publish)",
            "shell",
            "",
        ]
    )


def pointer_script(host_script: str) -> str:
    """``by-mac/MAC.ipxe`` or ``by-serial/SERIAL.ipxe``: chain to the machine's own script."""
    return f"#!ipxe\nchain --autofree {host_script}\n"


def host_script(*, hostname: str, image: str, layout: str, options: Sequence[str]) -> str:
    """The machine's ``PREFIX/boot.ipxe``: the rescue image at ``image`` (a URL folder), its layout at ``layout``."""
    kernel_line = [
        f"{image}/vmlinuz",
        f"initrd={NET_INITRD}",  # the EFI stub takes its initrd by this name; BIOS ignores it
        *IMAGE_OPTIONS,
        f"fetch={image}/filesystem.squashfs",  # live-boot downloads it into RAM: no medium to keep
        f"rescue.layout={layout}",
        *options,
    ]
    return "\n".join(
        [
            "#!ipxe",
            f"# rescue-tui: the rescue image, booted to recover {hostname} from the layout beside this script.",
            f"echo rescue-tui: loading the rescue image to recover {hostname}",
            "kernel " + " ".join(kernel_line),
            f"initrd {image}/{NET_INITRD}",
            "boot",
            "",
        ]
    )
