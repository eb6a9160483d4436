"""One screen per step of the recovery: welcome, layout, mapping, plan, backend, confirm, progress, finish."""
