"""Finalize: make the restored system bootable on its new disks, and say what was done.

After apply rebuilt the storage and restore brought the files back, the
restored system's configs still name the old devices and its disks carry no
boot loader. Finalize rewrites fstab, crypttab, mdadm.conf and the kernel
command lines (pure text rewrites: :mod:`fstab`, :mod:`crypttab`,
:mod:`mdadm`, :mod:`cmdline`, all over one :class:`devices.DeviceMap`),
installs GRUB on every boot disk or ESP with a UEFI boot entry for each
(:mod:`bootloader` plans, :mod:`install` carries out, in a :mod:`chroot`),
rebuilds the initramfs with the system's own tool (:mod:`initramfs`), sets
the SELinux relabel flag (:mod:`selinux`) and writes a report (:mod:`report`).
:class:`finalizer.Finalizer` runs it all; :mod:`commands` is the CLI face.
"""
