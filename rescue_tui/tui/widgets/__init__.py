"""Widgets: the layout tree, disk rows, the plan view, a secret input."""

from rescue_tui.tui.widgets.layout_tree import LayoutTree
from rescue_tui.tui.widgets.plan_view import PlanView
from rescue_tui.tui.widgets.secret import SecretInput

__all__ = ["LayoutTree", "PlanView", "SecretInput"]
