"""Apply a plan: the only code that writes to disks.

Preflight (targets unchanged, unused, not the rescue medium; tools and kernel
features present), an explicit confirmation, then the steps in the plan's
order: wipe, blivet's actions one step at a time, identity fix-ups, the
target tree mounted. Every step is journaled so an interrupted apply can go
on with ``--resume``.
"""
