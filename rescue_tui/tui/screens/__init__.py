"""One screen per step of the recovery: welcome, layout, mapping, plan, confirm."""
