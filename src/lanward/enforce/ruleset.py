"""The nftables table of gateway mode, `inet lanward`.

Both hook chains have policy accept; every drop is an explicit match on a named set, and the hook
chains jump to the dropping chains only while the interface is in the `alive` set, whose elements
the station refreshes every few seconds with a short timeout. If the station dies without
cleaning up (kill -9, a crash, power to the process cut), the heartbeat runs out and everything
passes again: the gateway fails open, never leaving the home offline.

Sets (the `4`/`6` pairs hold IPv4 / IPv6 addresses):

    alive              ifname, timeout          the heartbeat: the LAN and WAN interfaces
    feed_remote4/6     address, interval        indicator feed addresses and networks
    blocked_remote4/6  address, timeout         remote addresses blocked after an alert
    blocked_pair4/6    lan addr . remote addr   a device cut off from one remote address
    paused             MAC, timeout             devices whose internet access is paused
    remote_allowed4/6  lan addr . port          inbound remote control the owner allowed
    router_managers    MAC, timeout             devices approved to manage the router
    admin_blocked      MAC, timeout             devices blocked from the router's admin ports
    router_addrs4/6    address                  other routers' admin addresses (LANWARD_GATEWAYS)
    dropped_inbound4/6 remote . lan . port      filled by the rules: inbound remote-control
                                                attempts dropped (the station turns them
                                                into alerts), each kept `drop_log_seconds`
"""

from __future__ import annotations

from dataclasses import dataclass

from lanward.engine.detect.router_access import MANAGEMENT_PORTS
from lanward.lib.nftables import FAMILY, TABLE

# Ports remote-control programs accept connections on, by the nDPI name the remote-access
# detector uses. New inbound connections from the WAN to these are dropped unless allowed.
REMOTE_CONTROL_PORTS: dict[str, tuple[int, ...]] = {
    "SSH": (22,),
    "Telnet": (23, 2323),
    "Rlogin": (513,),
    "Rsh": (514,),
    "PcAnywhere": (5631, 5632),
    "RDP": (3389,),
    "NoMachine": (4000,),
    "Radmin": (4899,),
    "VNC": (5900, 5901),
    "TeamViewer": (5938,),
    "Splashtop": (6783,),
    "AnyDesk": (7070,),
    "ScreenConnect": (8040, 8041),
    "RustDesk": (21118, 21119),
}
PORT_APP = {port: app for app, ports in REMOTE_CONTROL_PORTS.items() for port in ports}
ALL_REMOTE_PORTS = tuple(sorted(PORT_APP))
DEFAULT_ADMIN_PORTS = tuple(sorted(MANAGEMENT_PORTS))

HEARTBEAT = "alive"
FEED = ("feed_remote4", "feed_remote6")
BLOCKED_REMOTE = ("blocked_remote4", "blocked_remote6")
BLOCKED_PAIR = ("blocked_pair4", "blocked_pair6")
PAUSED = "paused"
REMOTE_ALLOWED = ("remote_allowed4", "remote_allowed6")
ROUTER_MANAGERS = "router_managers"
ADMIN_BLOCKED = "admin_blocked"
ROUTER_ADDRS = ("router_addrs4", "router_addrs6")
DROPPED_INBOUND = ("dropped_inbound4", "dropped_inbound6")


@dataclass(frozen=True)
class Layout:
    lan: str
    wan: str
    admin_ports: tuple[int, ...] = DEFAULT_ADMIN_PORTS
    drop_log_seconds: int = 600


def _ports(ports: tuple[int, ...]) -> str:
    return "{ " + ", ".join(str(p) for p in sorted(set(ports))) + " }"


def definition(layout: Layout) -> str:
    """The table's text for `nft -f`."""
    lan, wan = f'"{layout.lan}"', f'"{layout.wan}"'
    remote_ports, admin_ports = _ports(ALL_REMOTE_PORTS), _ports(layout.admin_ports)
    sets = [
        f"set {HEARTBEAT} {{ type ifname; flags timeout; }}",
        f"set {PAUSED} {{ type ether_addr; flags timeout; }}",
        f"set {ROUTER_MANAGERS} {{ type ether_addr; flags timeout; }}",
        f"set {ADMIN_BLOCKED} {{ type ether_addr; flags timeout; }}",
    ]
    forward = [f"iifname {lan} ether saddr @{PAUSED} drop"]
    for v, (ip, addr) in enumerate((("ip", "ipv4_addr"), ("ip6", "ipv6_addr"))):
        sets += [
            f"set {FEED[v]} {{ type {addr}; flags interval; auto-merge; }}",
            f"set {BLOCKED_REMOTE[v]} {{ type {addr}; flags timeout; }}",
            f"set {BLOCKED_PAIR[v]} {{ type {addr} . {addr}; flags timeout; }}",
            f"set {REMOTE_ALLOWED[v]} {{ type {addr} . inet_service; flags timeout; }}",
            f"set {ROUTER_ADDRS[v]} {{ type {addr}; }}",
            f"set {DROPPED_INBOUND[v]} {{ type {addr} . {addr} . inet_service; size 65535; "
            f"flags dynamic,timeout; timeout {layout.drop_log_seconds}s; }}",
        ]
        for name in (FEED[v], BLOCKED_REMOTE[v]):
            forward += [
                f"iifname {lan} oifname {wan} {ip} daddr @{name} drop",
                f"iifname {wan} oifname {lan} {ip} saddr @{name} drop",
            ]
        forward += [
            f"iifname {lan} oifname {wan} {ip} saddr . {ip} daddr @{BLOCKED_PAIR[v]} drop",
            f"iifname {wan} oifname {lan} {ip} daddr . {ip} saddr @{BLOCKED_PAIR[v]} drop",
            f"iifname {wan} oifname {lan} ct state new meta l4proto {{ tcp, udp }} "
            f"th dport {remote_ports} {ip} daddr . th dport != @{REMOTE_ALLOWED[v]} "
            f"add @{DROPPED_INBOUND[v]} {{ {ip} saddr . {ip} daddr . th dport }} drop",
            f"iifname {lan} ct state new tcp dport {admin_ports} {ip} daddr @{ROUTER_ADDRS[v]} "
            f"ether saddr != @{ROUTER_MANAGERS} drop",
            f"iifname {lan} tcp dport {admin_ports} {ip} daddr @{ROUTER_ADDRS[v]} "
            f"ether saddr @{ADMIN_BLOCKED} drop",
        ]
    # The station is the router: its own admin ports, from the LAN.
    router_input = [
        f"iifname {lan} ct state new tcp dport {admin_ports} ether saddr != @{ROUTER_MANAGERS} drop",
        f"iifname {lan} tcp dport {admin_ports} ether saddr @{ADMIN_BLOCKED} drop",
    ]
    body = "\n".join(
        [
            *(f"  {s}" for s in sets),
            "  chain forward {",
            "    type filter hook forward priority filter - 5; policy accept;",
            f"    iifname @{HEARTBEAT} jump drops_forward",
            "  }",
            "  chain input {",
            "    type filter hook input priority filter - 5; policy accept;",
            f"    iifname @{HEARTBEAT} jump drops_input",
            "  }",
            "  chain drops_forward {",
            *(f"    {r}" for r in forward),
            "  }",
            "  chain drops_input {",
            *(f"    {r}" for r in router_input),
            "  }",
        ]
    )
    return f"table {FAMILY} {TABLE} {{\n{body}\n}}\n"
