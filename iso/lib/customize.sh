#!/usr/bin/env bash
# mmdebstrap hooks for the rescue image (run on the host, the rootfs in $2).
#   customize.sh essential ROOT   after the essential packages, before the rest:
#                                 answers debconf questions the rest would ask.
#   customize.sh customize ROOT   after everything is installed: the project's pinned
#                                 Python dependencies, our configuration, the units.
# Environment: ISO_DIR, WHEELS (the wheels fetched by rootfs.sh).
set -euo pipefail
phase=$1 root=$2
in_root() { chroot "$root" "$@"; }

case $phase in
essential)
    # mdadm: start no array from the initramfs, no monitor, no periodic check.
    in_root debconf-set-selections <<'SEL'
mdadm mdadm/initrdstart string none
mdadm mdadm/autocheck boolean false
mdadm mdadm/autoscan boolean false
mdadm mdadm/start_daemon boolean false
SEL
    # Build the initramfs as zstd from the start (the kernel's postinst builds one).
    install -D -m 644 "$ISO_DIR/rootfs/etc/initramfs-tools/conf.d/rescue-tui.conf" \
        "$root/etc/initramfs-tools/conf.d/rescue-tui.conf"
    ;;

customize)
    # 1. The project's runtime dependencies, pinned, from wheels fetched on the host
    #    (pip runs from its own wheel: the image carries no pip). They land in
    #    /usr/local/lib/python3.11/dist-packages; Debian's python3-* stay as they are.
    mkdir -p "$root/tmp/wheels"
    cp "$WHEELS"/* "$root/tmp/wheels/"
    pip_whl=$(cd "$root/tmp/wheels" && ls pip-*.whl)
    in_root python3 "/tmp/wheels/$pip_whl/pip" install --quiet --disable-pip-version-check \
        --no-index --find-links /tmp/wheels --no-deps --break-system-packages \
        --root-user-action=ignore -r /tmp/wheels/requirements.txt
    rm -rf "$root/tmp/wheels"

    # 2. Our files: units, mdadm and initramfs settings, the rescue-tui wrapper.
    cp -a --no-preserve=ownership "$ISO_DIR/rootfs/." "$root/"

    # The project itself is not in the base image: iso/lib/pack.sh adds it (and an
    # embedded layout) under /rescue in a small layer, so a code change never rebuilds
    # this stage. /etc/rescue-tui points there.
    ln -sfn /rescue/etc "$root/etc/rescue-tui"
    # live-boot writes a loopback stanza there (ifupdown itself is not installed).
    mkdir -p "$root/etc/network"
    # No host keys in an image: rescue-ssh.service makes this boot's own in /run.
    rm -f "$root"/etc/ssh/ssh_host_*

    # 3. Nothing is assembled or activated behind the operator's back. Stale md
    #    superblocks and LVM metadata on the machine's disks stay untouched until apply
    #    (or the operator) acts: mdadm.conf says AUTO -all, udev's incremental assembly
    #    rule is masked, LVM neither auto-activates nor monitors, there is no crypttab
    #    and no GPT auto-mounting.
    ln -sfn /dev/null "$root/etc/udev/rules.d/64-md-raid-assembly.rules"
    mkdir -p "$root/etc/systemd/system-generators"
    ln -sfn /dev/null "$root/etc/systemd/system-generators/systemd-gpt-auto-generator"
    rm -f "$root/etc/crypttab"
    sed -i -e '/^global {/a\	event_activation = 0' \
           -e '/^activation {/a\	auto_activation_volume_list = []\n\tmonitoring = 0' \
           "$root/etc/lvm/lvm.conf"
    [ "$(in_root lvmconfig --type current global/event_activation)" = "event_activation=0" ]
    [ "$(in_root lvmconfig --type current activation/monitoring)" = "monitoring=0" ]

    # 4. Services. The consoles run rescue-tui instead of a login prompt; tty2 gets a
    #    root shell. Everything a rescue system does not need is masked, and nothing
    #    waits for the network.
    in_root systemctl enable rescue-tui@tty1.service rescue-tui@ttyS0.service \
        getty@tty2.service rescue-network.service rescue-ssh.service ssh.service systemd-networkd.service systemd-resolved.service
    in_root systemctl mask --quiet \
        getty@tty1.service serial-getty@ttyS0.service \
        systemd-networkd-wait-online.service systemd-time-wait-sync.service \
        systemd-firstboot.service systemd-machine-id-commit.service \
        systemd-pstore.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
        systemd-udev-settle.service e2scrub_all.timer e2scrub_reap.service fstrim.timer \
        apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
        mdmonitor.service mdmonitor-oneshot.timer mdcheck_start.timer mdcheck_continue.timer \
        lvm2-monitor.service lvm2-lvmpolld.socket dm-event.socket nfs-client.target \
        multipathd.service multipathd.socket nvmf-autoconnect.service \
        systemd-hwdb-update.service ldconfig.service systemd-journal-catalog-update.service \
        systemd-update-done.service
    # systemd creates a fresh machine-id on every boot of the live system.
    : > "$root/etc/machine-id"
    rm -f "$root/var/lib/dbus/machine-id"

    # 5. The initramfs, with everything above (mdadm settings among it) in place.
    in_root update-initramfs -u -k all >/dev/null
    # The network-boot initramfs: the same, with the wired network drivers (see the hook
    # zz-rescue-medium-only), for iPXE to load beside the kernel (rescue-tui publish).
    version=$(basename "$(readlink -f "$root/vmlinuz")" | sed 's/^vmlinuz-//')
    RESCUE_INITRAMFS=network in_root mkinitramfs -o /boot/initrd-net.img "$version" >/dev/null

    # 6. What the image does not need to carry.
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
        "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/root/.cache
    ;;
*)
    echo "customize.sh: unknown phase $phase" >&2
    exit 2
    ;;
esac
