"""The recovery plan: layout + mapping + disks present -> ordered, typed steps, as data.

Nothing in this package writes to a disk: it models the targets in blivet
over sparse files and hands out plain data. Only ``rescue_tui.apply``
executes anything, and this package never imports it.
"""
