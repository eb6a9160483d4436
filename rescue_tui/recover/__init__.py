"""The whole recovery as one engine object: apply, mount, restore, finalize (see :mod:`.recovery`)."""
