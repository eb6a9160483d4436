#!/bin/bash
# Make the source machine, as its administrator once did: storage built with the native
# tools on three blank disks, then the system of rootfs.tar.zst installed onto it and made
# to boot (BIOS, from either RAID member). Runs in the rescue guest (tests/vm/source.py),
# from the medium built by tests/vm/source-debian/build:
#
#   make-machine.sh MEDIUM_DIR DISK_A DISK_B DISK_C PASSPHRASE_FILE
#
# DISK_A and DISK_B (GPT, the same): BIOS boot partition, ESP (vfat on A only), md RAID1
# metadata 1.0 for /boot (ext4), md RAID1 metadata 1.2 holding LVM: root (ext4), swap and a
# thin pool with /srv (xfs). DISK_C (MBR): a primary partition with LUKS2 (ext4, /secure,
# opened at boot by a key file holding the passphrase) and, in an extended partition, a
# logical one with btrfs and two subvolumes (/home, /opt/projects).
set -euo pipefail
medium=$1 a=$2 b=$3 c=$4 passphrase_file=$5
root=/mnt/source
say() { printf '[make-machine] %s\n' "$*"; }
uuid() { blkid -s UUID -o value "$1"; }

say "GPT on $a and $b"
for disk in "$a" "$b"; do
    sgdisk --zap-all "$disk" >/dev/null
    sgdisk -n 1:1M:+1M -t 1:EF02 -c 1:bios \
           -n 2:0:+64M -t 2:EF00 -c 2:esp \
           -n 3:0:+256M -t 3:FD00 -c 3:boot \
           -n 4:0:0 -t 4:FD00 -c 4:system "$disk" >/dev/null
done
say "MBR on $c: a primary partition, and a logical one in an extended partition"
printf '%s\n' 'label: dos' ',300M,83' ',,5' ',,83' | sfdisk -q "$c"
udevadm settle

say "md RAID1: /boot (metadata 1.0), the system (metadata 1.2)"
mdadm --create /dev/md/boot --run --level=1 --raid-devices=2 --metadata=1.0 --name=boot \
    --homehost=source "${a}-part3" "${b}-part3"
mdadm --create /dev/md/system --run --level=1 --raid-devices=2 --metadata=1.2 --name=system \
    --homehost=source "${a}-part4" "${b}-part4"
udevadm settle

say "LVM: vgsource with root, swap and a thin pool holding srv"
pvcreate -q /dev/md/system
vgcreate -q vgsource /dev/md/system
lvcreate -q -y -L 1600M -n root vgsource
lvcreate -q -y -L 128M -n swap vgsource
lvcreate -q -y --type thin-pool -L 384M -n pool vgsource
lvcreate -q -y -V 1G --thinpool vgsource/pool -n srv
udevadm settle

say "LUKS2 on ${c}-part1"
cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
    --key-file "$passphrase_file" "${c}-part1"
cryptsetup open --key-file "$passphrase_file" "${c}-part1" secure

say "filesystems"
mkfs.vfat -n ESP "${a}-part2" >/dev/null
mkfs.ext4 -q -L boot /dev/md/boot
mkfs.ext4 -q -L root /dev/vgsource/root
mkswap -L swap /dev/vgsource/swap >/dev/null
mkfs.xfs -q -L srv /dev/vgsource/srv
mkfs.ext4 -q -L secure /dev/mapper/secure
mkfs.btrfs -q -L data "${c}-part5"
mkdir -p /mnt/btrfs
mount "${c}-part5" /mnt/btrfs
btrfs -q subvolume create /mnt/btrfs/home
btrfs -q subvolume create /mnt/btrfs/projects
umount /mnt/btrfs

say "install the system"
mkdir -p "$root"
mount /dev/vgsource/root "$root"
mkdir -p "$root/boot" "$root/srv" "$root/home" "$root/opt/projects" "$root/secure"
mount /dev/md/boot "$root/boot"
mkdir -p "$root/boot/efi"
mount "${a}-part2" "$root/boot/efi"
mount /dev/vgsource/srv "$root/srv"
mount -o subvol=home "${c}-part5" "$root/home"
mount -o subvol=projects "${c}-part5" "$root/opt/projects"
mount /dev/mapper/secure "$root/secure"
zstd -dc "$medium/rootfs.tar.zst" | tar -C "$root" --numeric-owner --xattrs --acls -xf -

install -d -m 0700 "$root/etc/keys"
install -m 0400 "$passphrase_file" "$root/etc/keys/secure.key"
cat > "$root/etc/fstab" <<FSTAB
# /etc/fstab of the source machine
UUID=$(uuid /dev/vgsource/root)  /              ext4   errors=remount-ro  0 1
UUID=$(uuid /dev/md/boot)  /boot          ext4   defaults           0 2
UUID=$(uuid "${a}-part2")  /boot/efi      vfat   umask=0077         0 1
UUID=$(uuid /dev/vgsource/srv)  /srv           xfs    defaults           0 2
UUID=$(uuid "${c}-part5")  /home          btrfs  subvol=home        0 0
UUID=$(uuid "${c}-part5")  /opt/projects  btrfs  subvol=projects    0 0
/dev/mapper/secure  /secure        ext4   defaults,nofail    0 2
UUID=$(uuid /dev/vgsource/swap)  none           swap   sw                 0 0
FSTAB
printf 'secure UUID=%s /etc/keys/secure.key luks,nofail\n' "$(uuid "${c}-part1")" > "$root/etc/crypttab"
mkdir -p "$root/etc/mdadm"
{ echo "HOMEHOST <system>"; mdadm --detail --scan; } > "$root/etc/mdadm/mdadm.conf"

say "some data an operator would miss"
echo "the source machine's own file" > "$root/srv/served.txt"
mkdir -p "$root/home/operator" "$root/opt/projects/drill"
head -c 1M /dev/urandom > "$root/home/operator/random.bin"
echo "a secret kept on LUKS" > "$root/secure/note.txt"
ln -s ../../srv/served.txt "$root/opt/projects/drill/link"

say "initramfs and GRUB on both RAID members"
for fs in dev proc sys run; do mount --bind "/$fs" "$root/$fs"; done
chroot "$root" update-initramfs -c -k all
chroot "$root" grub-install --target=i386-pc "$a"
chroot "$root" grub-install --target=i386-pc "$b"
chroot "$root" update-grub
for fs in run sys proc dev; do umount "$root/$fs"; done

say "unmount and stop"
umount "$root/secure" "$root/opt/projects" "$root/home" "$root/srv" "$root/boot/efi" "$root/boot" "$root"
cryptsetup close secure
vgchange -q -an vgsource
mdadm --stop /dev/md/system /dev/md/boot
sync
say "done"
