"""Drills: the rescue image recovers a machine's layout and backup inside a throwaway QEMU VM.

The VM machinery (``machine``, ``channel``, ``qmp``, ``serial``) is the product's,
and the VM tests use it from here. It needs QEMU on the host and ``pexpect``
(the ``drill`` extra), never inside the rescue image.
"""
