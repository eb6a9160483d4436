"""Widgets: the layout tree, disk rows, the plan view."""

from rescue_tui.tui.widgets.layout_tree import LayoutTree
from rescue_tui.tui.widgets.plan_view import PlanView

__all__ = ["LayoutTree", "PlanView"]
