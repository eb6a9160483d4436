#!/usr/bin/env bash
# Stage 2 of the rescue image: the cheap part (seconds). Takes the cached base from
# rootfs.sh, adds the project (and an embedded layout) as a small layer appended to a
# copy of the base squashfs, and wraps kernel + initramfs + squashfs in a hybrid
# BIOS/UEFI ISO with grub-mkrescue.
#
#   pack.sh BASEDIR OUTDIR WORKDIR WHEEL [LAYOUT [SSH_KEYS]]
# Environment: ISO_DIR, PYTHON, IMAGE_INFO (a JSON file copied to /rescue/etc/image.json).
# Writes OUTDIR/{rescue-tui.iso,vmlinuz,initrd.img,initrd-net.img,filesystem.squashfs}: the
# ISO for CD/USB (dd); vmlinuz, initrd-net.img and filesystem.squashfs for network boot.
set -euo pipefail
base=$1 out=$2 work=$3 wheel=$4 layout=${5:-} ssh_keys=${6:-}
: "${ISO_DIR:?}" "${PYTHON:?}"
log() { printf '[pack %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
mkdir -p "$out" "$work"

# 1. The layer: /rescue/lib (the project, byte-compiled for the guest's python3.11, which
#    is the host's), /rescue/etc (embedded layout, the operator's SSH keys, image facts).
#    The base image has /etc/rescue-tui -> /rescue/etc and a .pth file for /rescue/lib.
layer=$work/layer
rm -rf "$layer" && mkdir -p "$layer/rescue/lib" "$layer/rescue/etc"
"$PYTHON" - "$wheel" "$layer/rescue/lib" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PY
"$PYTHON" -m compileall -q -j0 --invalidation-mode unchecked-hash "$layer/rescue/lib" >&2
if [ -n "$layout" ]; then
    install -m 644 "$layout" "$layer/rescue/etc/layout.json"
fi
if [ -n "$ssh_keys" ]; then
    install -D -m 644 "$ssh_keys" "$layer/rescue/etc/ssh/authorized_keys"
fi
[ -z "${IMAGE_INFO:-}" ] || install -m 644 "$IMAGE_INFO" "$layer/rescue/etc/image.json"

# 2. Append the layer to a copy of the cached base: mksquashfs adds new top-level
#    entries to an existing image in seconds, with the base's compressor.
log "squashfs layer"
cp "$base/base.squashfs" "$out/filesystem.squashfs"
mksquashfs "$layer" "$out/filesystem.squashfs" -quiet -no-progress -all-root >&2
cp "$base/vmlinuz" "$base/initrd.img" "$base/initrd-net.img" "$out/"

# 3. The hybrid ISO: grub for BIOS (El Torito + MBR) and UEFI (an ESP image), the
#    medium live-boot looks for (/live/filesystem.squashfs).
log "iso"
tree=$work/iso
rm -rf "$tree" && mkdir -p "$tree/live" "$tree/boot/grub"
ln "$out/vmlinuz" "$out/initrd.img" "$out/filesystem.squashfs" "$tree/live/"
cp "$ISO_DIR/grub/grub.cfg" "$tree/boot/grub/grub.cfg"
grub-mkrescue --quiet -o "$out/rescue-tui.iso" "$tree" -- -volid RESCUE_TUI 2>"$work/grub-mkrescue.log" \
    || { cat "$work/grub-mkrescue.log" >&2; exit 1; }
rm -rf "$tree" "$layer"
log "done: $(du -h "$out/rescue-tui.iso" | cut -f1) iso"
