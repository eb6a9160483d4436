"""Archive members that would write outside the target root.

Preflight lists every member of a tar archive and asks :class:`MemberCheck`
about each, in archive order. Refused: absolute names, ``..`` components,
a member whose path goes through a symlink the archive created earlier
(symlink-then-write), and hard links whose target is absolute, climbs with
``..`` or goes through such a symlink. Symlinks themselves may point
anywhere (``/etc/localtime -> /usr/share/zoneinfo/...`` is normal in a root
filesystem): they are only dangerous when something is written through them.

Extraction has a second line of defence: GNU tar strips leading ``/``,
skips ``..`` members and defers dangerous symlinks, and we never pass
``--absolute-names``, ``--overwrite`` or ``--keep-directory-symlink``.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field


def normalise(name: str) -> str:
    """``./a//b/`` -> ``a/b``; the root itself is ``""``."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    return "/".join(parts)


@dataclass
class MemberCheck:
    """Stateful checker: feed members in archive order."""

    symlinks: set[str] = field(default_factory=set)
    on_target: dict[str, str] = field(default_factory=dict)
    """Symlinks already on the target leading outside it (``checks.escaping_symlinks``), till a member replaces one."""
    problems: list[str] = field(default_factory=list)

    def check(self, name: str, *, symlink: bool = False, hardlink: bool = False, linkname: str = "") -> str | None:
        """The problem with this member (one line), or None when it is safe. Problems are also collected."""
        problem = self._problem(name, symlink=symlink, hardlink=hardlink, linkname=linkname)
        rel = normalise(name)
        if problem is None:
            self.on_target.pop(rel, None)  # extracting this member replaces what stood there
            if symlink:
                self.symlinks.add(rel)
            else:
                self.symlinks.discard(rel)
        else:
            self.problems.append(problem)
        return problem

    def _problem(self, name: str, *, symlink: bool, hardlink: bool, linkname: str) -> str | None:
        path_problem = self._path_problem(name)
        if path_problem:
            return f"{name!r}: {path_problem}"
        if hardlink:
            link_problem = self._path_problem(linkname)
            if link_problem:
                return f"{name!r}: hard link target {linkname!r}: {link_problem}"
        return None

    def _path_problem(self, name: str) -> str | None:
        if name.startswith("/"):
            return "absolute path"
        if "\0" in name:
            return "NUL in the name"
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if ".." in parts:
            return "'..' component"
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if prefix in self.symlinks:
                return f"goes through the symlink {prefix!r} stored earlier in the archive"
            if prefix in self.on_target:
                return f"goes through {prefix} -> {self.on_target[prefix]}, a symlink already on the target"
        return None


def escapes(root: str, path: str) -> bool:
    """Whether the resolved ``path`` lies outside the resolved ``root`` (for after-the-fact checks)."""
    real_root = posixpath.realpath(root)
    real = posixpath.realpath(path)
    return not (real == real_root or real.startswith(real_root.rstrip("/") + "/"))
