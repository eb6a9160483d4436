"""A real tree with every special file type, and a manifest to compare two trees by.

``build_tree`` needs root (owners, device nodes, trusted/security xattrs).
``manifest`` records, per path: type, permission bits, owner, size, content
hash, symlink target, device numbers, xattrs (ACLs included, as
``system.posix_acl_*``), mtime in ns, sparseness and hard-link group.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

OWNER = (12345, 54321)
MTIME_NS = 1_600_000_000_123_456_789
SPARSE_SIZE = 32 * 1024 * 1024


def build_tree(root: Path) -> list[str]:
    """Populate ``root``; returns the optional features that could not be made here (for skip messages)."""
    missing: list[str] = []
    root.mkdir(parents=True, exist_ok=True)
    (root / "etc").mkdir()
    (root / "etc" / "hostname").write_text("rescued\n")
    (root / "etc" / "fstab").write_text("UUID=1234 / ext4 defaults 0 1\n")
    data = root / "data"
    data.mkdir()
    (data / "random.bin").write_bytes(os.urandom(256 * 1024))
    (data / "text.txt").write_text("compressible line\n" * 20000)
    (data / "empty-file").write_bytes(b"")
    (data / "odd name ü ☃.txt").write_text("unicode and spaces\n")
    # Odd modes.
    for name, mode in (("setuid", 0o4755), ("setgid", 0o2711), ("private", 0o600), ("nothing", 0o000)):
        p = data / name
        p.write_text(name + "\n")
        os.chmod(p, mode)
    sticky = root / "tmp-sticky"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)
    shared = root / "shared"
    shared.mkdir()
    os.chmod(shared, 0o2775)
    # Numeric owner that exists nowhere.
    owned = root / "home" / "ghost"
    owned.mkdir(parents=True)
    (owned / "notes").write_text("owned by nobody we know\n")
    os.chown(owned, *OWNER)
    os.chown(owned / "notes", *OWNER)
    # Hard links (three names, two directories).
    (data / "hl-a").write_text("hard linked\n")
    os.link(data / "hl-a", data / "hl-b")
    os.link(data / "hl-a", root / "etc" / "hl-c")
    # Sparse file: data at both ends, a hole in between.
    with open(data / "sparse.img", "wb") as f:
        f.write(b"head" * 1024)
        f.seek(SPARSE_SIZE - 4096)
        f.write(b"tail" * 1024)
    # Device nodes and a fifo.
    dev = root / "dev-nodes"
    dev.mkdir()
    os.mknod(dev / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.mknod(dev / "loop9", 0o660 | stat.S_IFBLK, os.makedev(7, 9))
    os.mkfifo(dev / "fifo", 0o644)
    # Symlinks: relative, absolute, dangling, to a directory, owned by someone else.
    links = root / "links"
    links.mkdir()
    os.symlink("../etc/hostname", links / "relative")
    os.symlink("/etc/passwd", links / "absolute")
    os.symlink("does/not/exist", links / "dangling")
    os.symlink("../data", links / "to-dir")
    os.symlink("../home/ghost/notes", links / "owned")
    os.lchown(links / "owned", *OWNER)
    # Empty directories, nested.
    (root / "empty" / "a" / "b").mkdir(parents=True)
    (root / "var" / "log" / "empty").mkdir(parents=True)
    # Extended attributes.
    target = data / "text.txt"
    os.setxattr(target, "user.comment", b"restored faithfully")
    os.setxattr(target, "user.binary", bytes(range(1, 32)))
    for name in ("trusted.rescue", "security.rescue"):
        try:
            os.setxattr(data / "random.bin", name, b"value")
        except OSError:
            missing.append(name)
    # ACLs (access on a file, default on a directory).
    if shutil.which("setfacl"):
        subprocess.run(["setfacl", "-m", f"u:{OWNER[0]}:rw,g:{OWNER[1]}:r", str(data / "private")], check=True)
        subprocess.run(["setfacl", "-d", "-m", f"u:{OWNER[0]}:rwx", str(shared)], check=True)
    else:
        missing.append("acl")
    # Times, last (deepest first so parents keep theirs).
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames + dirnames:
            entry_path = os.path.join(dirpath, name)
            os.utime(entry_path, ns=(MTIME_NS, MTIME_NS + hash(name) % 10**9), follow_symlinks=False)
    return missing


def manifest(root: Path) -> dict[str, dict[str, Any]]:
    """Everything we promise to keep, per relative path (the root itself is left out)."""
    out: dict[str, dict[str, Any]] = {}
    inodes: dict[int, list[str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            entry: dict[str, Any] = {
                "type": stat.S_IFMT(st.st_mode),
                "mode": oct(stat.S_IMODE(st.st_mode)),
                "owner": (st.st_uid, st.st_gid),
                "mtime_ns": st.st_mtime_ns,
            }
            if stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(path, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                entry["size"] = st.st_size
                entry["sha256"] = h.hexdigest()
                entry["sparse"] = st.st_blocks * 512 < st.st_size
                if st.st_nlink > 1:
                    inodes.setdefault(st.st_ino, []).append(rel)
            elif stat.S_ISLNK(st.st_mode):
                entry["link"] = os.readlink(path)
                del entry["mode"]  # symlink permission bits mean nothing on Linux
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                entry["rdev"] = (os.major(st.st_rdev), os.minor(st.st_rdev))
            if stat.S_ISDIR(st.st_mode) and "mtime_ns" in entry:
                entry["dir"] = True
            try:
                names = os.listxattr(path, follow_symlinks=False)
            except OSError:
                names = []
            entry["xattrs"] = {n: os.getxattr(path, n, follow_symlinks=False) for n in sorted(names)}
            out[rel] = entry
    for paths in inodes.values():
        group = tuple(sorted(paths))
        for rel in paths:
            out[rel]["hardlinks"] = group
    for entry in out.values():
        entry.setdefault("hardlinks", None)
    return out


def differences(expected: dict[str, dict[str, Any]], actual: dict[str, dict[str, Any]], *,
                ignore: frozenset[str] = frozenset()) -> list[str]:  # fmt: skip
    """Readable lines, one per difference; ``ignore`` names fields a backend is known not to keep."""
    lines = []
    for rel in sorted(set(expected) | set(actual)):
        if rel not in actual:
            lines.append(f"{rel}: missing")
            continue
        if rel not in expected:
            lines.append(f"{rel}: unexpected")
            continue
        for key in sorted(set(expected[rel]) | set(actual[rel])):
            if key in ignore:
                continue
            if key == "mtime_ns" and "symlink-mtime" in ignore and "link" in expected[rel]:
                continue
            want, got = expected[rel].get(key), actual[rel].get(key)
            if want != got:
                lines.append(f"{rel}: {key} {want!r} != {got!r}")
    return lines
