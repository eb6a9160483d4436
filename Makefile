# rescue-tui: the two README commands, and what they stand on.
# Every target does its own set-up, idempotently: a re-run with nothing to do takes seconds.

SHELL := /bin/bash
PYTHON := /usr/bin/python3
VENV := .venv
STAMP := $(VENV)/.installed
EXAMPLE ?= layouts/examples/raid1-lvm.json
TARGETS ?= layouts/examples/targets/demo-rescue-vm.json

.PHONY: demo test test-fast setup host-packages lint bench bench-vm iso clean
LAYOUT ?=
SSH_KEYS ?=
ISO_OUT ?= iso/out

# The console in dry-run on an example layout and a simulated set of disks: no disk is touched.
demo: setup
	$(VENV)/bin/rescue-tui tui --dry-run --layout $(EXAMPLE) --targets $(TARGETS)

# The VM tests run in two shards side by side (tools/run-tests), the in-host tests beside the first.
test: setup lint
	@bash tools/start-services
	@bash tools/run-tests

# Everything but the VM tests (which boot the rescue image in QEMU).
test-fast: setup
	@bash tools/start-services
	RESCUE_VM_TESTS=0 $(VENV)/bin/python -m pytest

# The rescue image: hybrid BIOS/UEFI ISO + vmlinuz, initrd.img, initrd-net.img, filesystem.squashfs (network boot) in
# $(ISO_OUT); LAYOUT=saved.json embeds a layout, SSH_KEYS=authorized_keys the keys that may log in. Root. Cached in /var/cache/rescue-tui (a code change repacks in seconds).
iso: setup
	iso/build --out $(ISO_OUT) $(if $(LAYOUT),--layout $(LAYOUT)) $(if $(SSH_KEYS),--ssh-keys $(SSH_KEYS))

# Size and boot-to-first-screen time of the image under QEMU TCG, BIOS and UEFI; and apply in the guest.
bench-vm: setup
	$(VENV)/bin/python -m bench.vm_boot
	$(VENV)/bin/python -m bench.apply

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
	$(VENV)/bin/ruff check rescue_tui tests bench tools
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: setup
	$(VENV)/bin/python -m bench.layout_load
	$(VENV)/bin/python -m bench.plan_scale
	$(VENV)/bin/python -m bench.serial

clean:
	rm -rf $(VENV) .pytest_cache
