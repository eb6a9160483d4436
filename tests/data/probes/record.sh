#!/bin/sh
# Record the real probe sets in this folder: loop-disks.json and loop-lvm.json.
# Needs root, util-linux, e2fsprogs, xfsprogs, btrfs-progs, dosfstools,
# cryptsetup, lvm2 and a running systemd-udevd. Run from the repository root:
#   sudo sh tests/data/probes/record.sh
# Everything happens on sparse files in a temporary folder; every loop device
# attached here is detached again on exit.
set -eu
work=$(mktemp -d /tmp/rescue-tui-record.XXXXXX)
detach_all() {  # every loop device backed by one of our image files
    for f in "$work"/*.img; do
        [ -e "$f" ] || continue
        for l in $(losetup -n -O NAME -j "$f"); do wipefs -q -a "$l" >/dev/null 2>&1 || true; losetup -d "$l"; done
    done
}
cleanup() {
    umount "$work/mnt" 2>/dev/null || true
    detach_all
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
attach() { truncate -s "$2" "$work/$1.img"; losetup -f --show "$work/$1.img"; }
py=${PYTHON:-.venv/bin/python}
out=tests/data/probes

# --- loop-disks: one filesystem per whole device, a GPT and an msdos table ---------------------
ext=$(attach ext4 64M);   mkfs.ext4 -q -F -L rootfs -U 11111111-2222-3333-4444-555555555555 "$ext"
xfs=$(attach xfs 320M);   mkfs.xfs -q -f -L data -m uuid=33333333-4444-5555-6666-777777777777 "$xfs"
btr=$(attach btrfs 320M); mkfs.btrfs -q -f -L pool -U 22222222-3333-4444-5555-666666666666 "$btr"
mkdir "$work/mnt"; mount "$btr" "$work/mnt"
btrfs -q subvolume create "$work/mnt/@"; btrfs -q subvolume create "$work/mnt/@home"
btrfs subvolume set-default "$work/mnt/@"; umount "$work/mnt"
swp=$(attach swap 32M);   mkswap -q -L swap0 -U 44444444-5555-6666-7777-888888888888 "$swp"
fat=$(attach vfat 64M);   mkfs.vfat -n EFI -i 1234ABCD "$fat" >/dev/null
lk2=$(attach luks2 64M)
printf pass | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
    --label vault --uuid 55555555-6666-7777-8888-999999999999 "$lk2" -
lk1=$(attach luks1 64M)
printf pass | cryptsetup luksFormat -q --type luks1 --pbkdf-force-iterations 1000 -c aes-cbc-essiv:sha256 -s 256 \
    --uuid 66666666-7777-8888-9999-aaaaaaaaaaaa "$lk1" -
gpt=$(attach gpt 64M)
sfdisk -q "$gpt" <<'TABLE'
label: gpt
label-id: 0D2B6B52-3C8E-4E6B-9B55-6F1C2A3B4C5D
start=2048, size=8192, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=A1B2C3D4-0001-4000-8000-000000000001, name="EFI system"
start=10240, size=2048, type=21686148-6449-6E6F-744E-656564454649, uuid=A1B2C3D4-0002-4000-8000-000000000002, name=bios
start=12288, size=40960, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=A1B2C3D4-0003-4000-8000-000000000003, name="root fs", attrs="LegacyBIOSBootable RequiredPartition"
TABLE
dos=$(attach msdos 64M)
sfdisk -q "$dos" <<'TABLE'
label: dos
label-id: 0x1234abcd
start=2048, size=20480, type=83, bootable
start=22528, size=40960, type=f
start=24576, size=8192, type=82
start=34816, size=20480, type=8e
TABLE
udevadm trigger --settle $ext $xfs $btr $swp $fat $lk2 $lk1 $gpt $dos
cat > "$work/fstab" <<FSTAB
# recorded with tests/data/probes/record.sh
UUID=11111111-2222-3333-4444-555555555555 / ext4 errors=remount-ro 0 1
LABEL=data /srv/data xfs defaults,noatime 0 2
UUID=22222222-3333-4444-5555-666666666666 /home btrfs subvol=@home,compress=zstd 0 0
$btr /mnt/pool btrfs subvolid=5 0 0
UUID=1234-ABCD /boot/efi vfat umask=0077 0 1
UUID=44444444-5555-6666-7777-888888888888 none swap sw,pri=5 0 0
tmpfs /tmp tmpfs defaults 0 0
UUID=deadbeef-0000-4000-8000-000000000000 /gone ext4 defaults 0 0
FSTAB
cat > "$work/crypttab" <<CRYPTTAB
vault UUID=55555555-6666-7777-8888-999999999999 none luks
CRYPTTAB
"$py" - "$work" "$out/loop-disks.json" $ext $xfs $btr $swp $fat $lk2 $lk1 $gpt $dos <<'PY'
import sys
from pathlib import Path
from rescue_tui.layout.capture.probes import collect_probes
work, target, *devices = sys.argv[1:]
probes = collect_probes(devices=devices, hostname="testhost", fstab_path=Path(work, "fstab"), crypttab_path=Path(work, "crypttab"), use_blivet=True)
Path(target).write_text(probes.to_json())
PY
detach_all; rm -f "$work"/*.img

# --- loop-lvm: a VG over two PVs with linear, striped, thin-pool and thin LVs --------------------
# This kernel has no device-mapper, so the LVs are written with vgcfgrestore and stay inactive.
pv1=$(attach pv1 200M); pv2=$(attach pv2 200M)
pvcreate -q --uuid m5HZEO-DWBB-ShHr-YZgm-sloR-8V9Q-aRnFm1 --norestorefile "$pv1"
pvcreate -q --uuid 63ak5R-GgTT-nvAr-bTac-Okr1-epsB-HFGU3O --norestorefile "$pv2"
vgcreate -q -s 4m system "$pv1" "$pv2"
vgcfgbackup -q -f "$work/vg.cfg" system
"$py" - "$work/vg.cfg" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
seg = lambda name, uuid, visible, body: f"""
		{name} {{
			id = "{uuid}"
			status = ["READ", "WRITE"{', "VISIBLE"' if visible else ''}]
			flags = []
			segment_count = 1
			segment1 {{
				start_extent = 0
{body}
			}}
		}}
"""
lin = lambda count, pv, at: f'\t\t\t\textent_count = {count}\n\t\t\t\ttype = "striped"\n\t\t\t\tstripe_count = 1\n\t\t\t\tstripes = ["{pv}", {at}]'
lvs = "\n\tlogical_volumes {\n" + "".join([
    seg("root", "Rt0000-aaaa-bbbb-cccc-dddd-eeee-ffff01", True, lin(20, "pv0", 0)),
    seg("data", "Dt0000-aaaa-bbbb-cccc-dddd-eeee-ffff02", True,
        '\t\t\t\textent_count = 10\n\t\t\t\ttype = "striped"\n\t\t\t\tstripe_count = 2\n\t\t\t\tstripe_size = 128\n'
        '\t\t\t\tstripes = ["pv0", 20, "pv1", 0]'),
    seg("pool", "Pl0000-aaaa-bbbb-cccc-dddd-eeee-ffff03", True,
        '\t\t\t\textent_count = 10\n\t\t\t\ttype = "thin-pool"\n\t\t\t\tmetadata = "pool_tmeta"\n\t\t\t\tpool = "pool_tdata"\n'
        '\t\t\t\ttransaction_id = 1\n\t\t\t\tchunk_size = 128\n\t\t\t\tdiscards = "passdown"\n\t\t\t\tzero_new_blocks = 1'),
    seg("thin1", "Th0000-aaaa-bbbb-cccc-dddd-eeee-ffff04", True,
        '\t\t\t\textent_count = 25\n\t\t\t\ttype = "thin"\n\t\t\t\tthin_pool = "pool"\n\t\t\t\ttransaction_id = 0\n\t\t\t\tdevice_id = 1'),
    seg("lvol0_pmspare", "Ps0000-aaaa-bbbb-cccc-dddd-eeee-ffff05", False, lin(1, "pv1", 5)),
    seg("pool_tmeta", "Pm0000-aaaa-bbbb-cccc-dddd-eeee-ffff06", False, lin(1, "pv1", 6)),
    seg("pool_tdata", "Pd0000-aaaa-bbbb-cccc-dddd-eeee-ffff07", False, lin(10, "pv1", 7)),
]) + "\t}\n"
end = text.rindex("}")
open(path, "w").write(text[:end] + lvs + text[end:])
PY
vgcfgrestore -q --force -f "$work/vg.cfg" system 2>/dev/null
udevadm trigger --settle $pv1 $pv2
: > "$work/empty"
"$py" - "$work" "$out/loop-lvm.json" $pv1 $pv2 <<'PY'
import sys
from pathlib import Path
from rescue_tui.layout.capture.probes import collect_probes
work, target, *devices = sys.argv[1:]
probes = collect_probes(devices=devices, hostname="testhost", fstab_path=Path(work, "empty"), crypttab_path=Path(work, "empty"), use_blivet=True)
Path(target).write_text(probes.to_json())
PY
