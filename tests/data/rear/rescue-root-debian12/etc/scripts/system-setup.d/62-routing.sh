# Network routing setup:
# Skip network routing setup if the kernel command line parameter 'noip' is specified:
grep -q '\<noip\>' /proc/cmdline && return
# If kernel command line parameters like ip=192.168.100.2 plus gw=192.168.100.1
# were specified skip the rest because a default gateway is already set up:
[[ "$IPADDR" ]] && [[ "$GATEWAY" ]] && return
# If USE_DHCLIENT=y then skip the rest as DHCP also does the routing setup as needed:
is_true $USE_DHCLIENT && ! is_true $USE_STATIC_NETWORKING && return
ip route add default via 192.0.2.1 dev eth0 table main
ip route add default via fd00::1 dev eth0 table main
