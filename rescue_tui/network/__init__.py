"""The rescue system's network: the machine's own addresses from its layout, or ``rescue.net=``.

``links`` reads the interfaces present, ``cmdline`` parses ``rescue.net=``
(dracut's ``ip=`` syntax), ``choose`` decides what each one gets (and says
so in lines the welcome screen shows), ``networkd`` writes it as
systemd-networkd files, ``setup`` is what the boot runs, after the first
screen. Nothing here waits for the network to be online.
"""
