#!/usr/bin/env bash
# Stage 1 of the rescue image: the base root filesystem, packed as a squashfs with the
# kernel and initramfs beside it. This is the slow stage (minutes); iso/build caches its
# result on a hash of everything that goes into it (this recipe and requirements/lock.txt),
# so a change to the project's code never re-runs it.
#
#   rootfs.sh OUTDIR WORKDIR
# Environment: ISO_DIR (iso/), REPO (the clone), PYTHON (a python with pip),
#              SQUASH_LEVEL (zstd level for mksquashfs).
# Writes OUTDIR/{vmlinuz,initrd.img,initrd-net.img,base.squashfs,packages.txt,python.txt}.
set -euo pipefail
out=$1 work=$2
: "${ISO_DIR:?}" "${REPO:?}" "${PYTHON:?}" "${SQUASH_LEVEL:?}"

log() { printf '[rootfs %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
# Lines of a list file without comments and blanks.
list() { sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$1"; }

mkdir -p "$out" "$work"

# 1. Python wheels, pinned by requirements/lock.txt, fetched on the host: pip inside the
#    chroot cannot reach PyPI. blivet has no wheel on PyPI, so `pip wheel` builds it.
log "python wheels"
wheels=$work/wheels
rm -rf "$wheels" && mkdir -p "$wheels"
pins=()
while read -r name; do
    pin=$(grep -i -E "^${name//[-_.]/[-_.]}==" "$REPO/requirements/lock.txt" || true)
    [ -n "$pin" ] || { echo "rootfs: $name is not pinned in requirements/lock.txt" >&2; exit 2; }
    pins+=("$pin")
done < <(list "$ISO_DIR/python-runtime.txt")
printf '%s\n' "${pins[@]}" > "$wheels/requirements.txt"
pip_version=$("$PYTHON" -m pip --version | awk '{print $2}')
"$PYTHON" -m pip wheel -q --disable-pip-version-check --no-deps -w "$wheels" \
    -r "$wheels/requirements.txt" "pip==$pip_version" >&2

# 2. The root filesystem. dpkg never unpacks the paths in exclude.txt (docs, man pages,
#    locales, unneeded kernel modules), so there is nothing to trim afterwards.
log "mmdebstrap"
dpkgopts=()
while read -r pattern; do
    case $pattern in
        +*) dpkgopts+=("--dpkgopt=path-include=${pattern#+}") ;;
        *) dpkgopts+=("--dpkgopt=path-exclude=$pattern") ;;
    esac
done < <(list "$ISO_DIR/exclude.txt")
packages=$(list "$ISO_DIR/packages.txt" | paste -sd, -)
rm -rf "$work/rootfs"
export ISO_DIR WHEELS=$wheels
mmdebstrap --mode=root --variant=minbase --format=directory \
    --aptopt='APT::Install-Recommends "false"' \
    --aptopt='Acquire::Retries "3"' \
    "${dpkgopts[@]}" \
    --include="$packages" \
    --essential-hook='"$ISO_DIR/lib/customize.sh" essential "$1"' \
    --customize-hook='"$ISO_DIR/lib/customize.sh" customize "$1"' \
    bookworm "$work/rootfs" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main" >&2

# 3. Pack: kernel and initramfs beside the squashfs (the ISO and network boot both take
#    them from there); they stay out of the squashfs itself.
root=$work/rootfs
log "pack (zstd level $SQUASH_LEVEL)"
cp "$(readlink -f "$root/vmlinuz")" "$out/vmlinuz"
cp "$(readlink -f "$root/initrd.img")" "$out/initrd.img"
cp "$root/boot/initrd-net.img" "$out/initrd-net.img"
chroot "$root" dpkg-query -W -f='${Package} ${Version}\n' > "$out/packages.txt"
cp "$wheels/requirements.txt" "$out/python.txt"
rm -f "$out/base.squashfs"
# 128K blocks (the default), not 1M: booting reads thousands of small files, and each
# read decompresses a whole block; under TCG, 1M blocks made systemd's first exec take
# 15 s instead of 5 s, for 7% fewer bytes. -e must come last: it swallows the options
# after it. Only the contents of the pseudo filesystems are excluded, never the mount
# points themselves.
mksquashfs "$root" "$out/base.squashfs" -noappend -quiet -no-progress \
    -comp zstd -Xcompression-level "$SQUASH_LEVEL" -b 128K -wildcards \
    -e 'boot/vmlinuz*' 'boot/initrd*' 'vmlinuz*' 'initrd.img*' \
       'proc/*' 'sys/*' 'dev/*' 'run/*' 'tmp/*' 'var/tmp/*' >&2
du -sm --apparent-size "$root" | awk '{print "rootfs_mb", $1}' > "$out/sizes.txt"
rm -rf "$root" "$wheels"
log "done: $(du -h "$out/base.squashfs" | cut -f1) squashfs"
