"""SSH into the rescue system: the operator's keys only, host keys made fresh each boot.

``keys`` reads authorized_keys text strictly (a key type and its blob, a
comment; no options, so a key cannot carry a forced command or a tunnel) and
computes fingerprints as ``ssh-keygen -l`` prints them. ``setup`` is what the
boot runs before sshd: the keys embedded at image build (``make iso
SSH_KEYS=FILE``) and those ``rescue.ssh_keys=`` names, fresh host keys, and
the fingerprints for the welcome screen. ``login`` is sshd's forced command:
an interactive login gets the recovery console (which follows a recovery
another console runs, never a second one); a command given to ssh runs as asked.
"""
