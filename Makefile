# rescue-tui: the two README commands, and what they stand on.
# Every target does its own set-up, idempotently: a re-run with nothing to do takes seconds.

SHELL := /bin/bash
PYTHON := /usr/bin/python3
VENV := .venv
STAMP := $(VENV)/.installed
EXAMPLE ?= layouts/examples/raid1-lvm.json
TARGETS ?= layouts/examples/targets/demo-rescue-vm.json

.PHONY: demo test setup host-packages lint bench clean

# The console in dry-run on an example layout and a simulated set of disks: no disk is touched.
demo: setup
	$(VENV)/bin/rescue-tui tui --dry-run --layout $(EXAMPLE) --targets $(TARGETS)

test: setup
	@bash tools/start-services
	$(VENV)/bin/python -m pytest

setup: host-packages $(STAMP)

host-packages:
	@bash tools/setup-host

# The venv sees Debian's GI, blockdev, bytesize and parted modules (blivet needs them).
$(STAMP): requirements/lock.txt pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv --system-site-packages $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements/lock.txt
	$(VENV)/bin/pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

lint: setup
	$(VENV)/bin/ruff check rescue_tui tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: setup
	$(VENV)/bin/python -m bench.layout_load
	$(VENV)/bin/python -m bench.plan_scale
	$(VENV)/bin/python -m bench.serial

clean:
	rm -rf $(VENV) .pytest_cache
