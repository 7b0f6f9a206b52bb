"""Checks on what a device reaches and offers: networks and countries, an appliance sweeping
new addresses, LAN peers, listening services and new kinds of traffic. Each learns while the
baseline is learning and alerts (through explain.make) once it is not; see each for its rule.
"""

from __future__ import annotations

from typing import Any

from lanward.engine.detect.anomaly.explain import Who, listing, make
from lanward.engine.detect.anomaly.sensitivity import NEUTRAL_CATEGORIES, RISKY_CATEGORIES
from lanward.engine.detect.anomaly.state import HOUR_MS, DeviceState, window
from lanward.engine.detect.anomaly.traffic import (
    INFRA_PORTS,
    NOVELTY_COOLDOWN_MS,
    TCP,
    UDP,
    country_of,
    network_of,
)
from lanward.engine.detect.scan import is_probe
from lanward.engine.events import Flow

EPHEMERAL = 49152
CLIENT_PORTS = 32768


def remote(
    state: DeviceState, who: Who, flow: Flow, remote_ip: str, ts_ms: int, named: bool
) -> list[dict[str, Any]]:
    """New networks and countries; an appliance sweeping many new addresses."""
    base, sens = state.baseline, who.sensitivity
    net, country = network_of(remote_ip), country_of(remote_ip)
    new_net = net not in base.networks
    if base.learning or sens.off:
        base.stamp("networks", net, ts_ms)
        if country:
            base.stamp("countries", country, ts_ms)
        return []
    out: list[dict[str, Any]] = []
    sweeping = False
    if new_net and sens.new_remote_ips_per_hour:
        state.new_remote.append((ts_ms, remote_ip))
        fresh = window(state.new_remote, ts_ms, HOUR_MS)
        limit = max(
            sens.new_remote_ips_per_hour, base.tolerance.get("new_remote_ips_per_hour", 0) + 1
        )
        sweeping = len(fresh) >= limit
        if sweeping and not state.cooling("remote_sweep", ts_ms, 6 * HOUR_MS):
            out.append(_sweep(who, flow, fresh, ts_ms))
        sweeping = (
            sweeping
            or "remote_sweep" in state.cooldown
            and ts_ms - state.cooldown["remote_sweep"] < HOUR_MS
        )
    # "Never did" needs something it did: a device that learned no internet traffic at all
    # learns its first countries and networks now.
    if country and country not in base.countries:
        if sens.new_country and not sweeping and base.countries:
            if not base.is_flagged("countries", country):
                base.flag("countries", country, ts_ms)
                out.append(_country(who, flow, remote_ip, country, list(base.countries), ts_ms))
        elif not (sens.new_country and base.countries):
            base.stamp("countries", country, ts_ms)
    if new_net:
        if sens.raw_ip_new_network and not named and not sweeping and base.networks:
            if not base.is_flagged("networks", net):
                base.flag("networks", net, ts_ms)
                if not state.cooling("network", ts_ms, NOVELTY_COOLDOWN_MS):
                    out.append(_network(who, flow, remote_ip, net, len(base.networks), ts_ms))
        else:
            base.stamp("networks", net, ts_ms)
    else:
        base.stamp("networks", net, ts_ms)
    return out


def _sweep(who: Who, flow: Flow, fresh: list[str], ts_ms: int) -> dict[str, Any]:
    return make(
        who,
        "remote_sweep",
        "high",
        ts_ms,
        fresh[-1],
        f"{who.name} contacted {len(fresh)} addresses in networks it never used within an hour "
        f"(latest on port {flow.dst_port}). A {who.device_type} talks to a few servers of its "
        "maker; one reaching out to many new addresses is probably infected and scanning the "
        "internet for victims (as Mirai-type botnets do). Disconnect it and reset it.",
        baseline={"allowed_new_per_hour": who.sensitivity.new_remote_ips_per_hour},
        now={"addresses": fresh[:50], "count": len(fresh), "port": flow.dst_port},
        learn={"tolerance": {"new_remote_ips_per_hour": len(fresh)}},
        app=flow.app,
    )


def _country(
    who: Who, flow: Flow, ip: str, country: str, known: list[str], ts_ms: int
) -> dict[str, Any]:
    return make(
        who,
        "country",
        "medium",
        ts_ms,
        ip,
        f"{who.name} talked to {ip}, registered in {country}, a country it never talked to "
        f"before (so far: {listing(sorted(known), 8) or 'none'}). Appliances talk to their "
        "maker's cloud in the same few places; a new country can be a firmware update moving "
        "servers, or someone else controlling the device.",
        baseline={"countries": sorted(known)},
        now={"country": country, "address": ip, "port": flow.dst_port, "server_name": flow.sni},
        learn={"countries": [country]},
        app=flow.app,
    )


def _network(who: Who, flow: Flow, ip: str, net: str, known: int, ts_ms: int) -> dict[str, Any]:
    return make(
        who,
        "network",
        "medium",
        ts_ms,
        ip,
        f"{who.name} connected straight to the address {ip} (port {flow.dst_port}, no name "
        f"looked up) in {net}, a network it never used. Appliances reach their cloud by name; "
        "an address built into the code is how much malware finds its server.",
        baseline={"known_networks": known},
        now={"address": ip, "network": net, "port": flow.dst_port, "protocol": flow.protocol},
        learn={"networks": [net]},
        app=flow.app,
    )


def lan_peer(state: DeviceState, who: Who, peer: str, ts_ms: int) -> list[dict[str, Any]]:
    """An appliance opening connections to many home devices it never talked to."""
    base, sens = state.baseline, who.sensitivity
    new = peer not in base.lan_peers
    base.stamp("lan_peers", peer, ts_ms)
    if base.learning or not new or not sens.new_lan_peers_per_hour or sens.off:
        return []
    state.new_peers.append((ts_ms, peer))
    fresh = window(state.new_peers, ts_ms, HOUR_MS)
    limit = max(sens.new_lan_peers_per_hour, base.tolerance.get("new_lan_peers_per_hour", 0) + 1)
    if len(fresh) < limit or state.cooling("lan_peers", ts_ms, 6 * HOUR_MS):
        return []
    return [
        make(
            who,
            "lan_peers",
            "high",
            ts_ms,
            fresh[-1],
            f"{who.name} opened connections to {len(fresh)} home devices it never talked to "
            f"within an hour ({listing(fresh)}). A {who.device_type} has no reason to; this is "
            "how malware looks for the next device to infect. Disconnect it and check it.",
            baseline={"known_peers": len(base.lan_peers) - len(fresh)},
            now={"new_peers": fresh[:50], "count": len(fresh)},
            learn={
                "lan_peers": fresh[:50],
                "tolerance": {"new_lan_peers_per_hour": len(fresh)},
            },
        )
    ]


def answered(flow: Flow) -> bool:
    """The responder really served: data came back, not a refusal or silence.

    A "client" on a service port talking to an ephemeral one (32768 and up, where Linux,
    Android and Windows pick client ports) is a server's answer seen first: the capture began
    mid-connection. That is no service of ours.
    """
    if flow.src_port < 1024 <= flow.dst_port or flow.dst_port >= CLIENT_PORTS > flow.src_port:
        return False
    if flow.protocol == TCP:
        return flow.dst2src_packets >= 2 and not is_probe(flow)
    return flow.protocol == UDP and flow.dst2src_packets >= 1


def service_key(flow: Flow) -> str:
    proto = "tcp" if flow.protocol == TCP else "udp"
    return f"{proto}/{flow.dst_port}" if flow.dst_port < EPHEMERAL else f"{proto}/{EPHEMERAL}+"


# What a device of a type serves its own household as a matter of course: a camera its stream
# and console to the phone app or recorder, a TV or speaker its casting and media-sharing ports
# (DLNA and AirPlay media servers also pick ports from the dynamic range). Offered to a device
# in the home these are learned quietly; from the internet they still alert.
EXPECTED_SERVICES = {
    "camera": frozenset(
        {"tcp/80", "tcp/443", "tcp/554", "tcp/8000", "tcp/8080", "tcp/8554", "tcp/8899"}
    ),
    "TV": frozenset(
        {"tcp/7000", "tcp/7100", "tcp/8001", "tcp/8002", "tcp/8008", "tcp/8009", "tcp/8060"}
    ),
    "streaming stick": frozenset({"tcp/7000", "tcp/8008", "tcp/8009", "tcp/8060"}),
    "speaker": frozenset({"tcp/1400", "tcp/7000", "tcp/8008", "tcp/8009"}),
}
MEDIA_DYNAMIC = ("TV", "streaming stick", "speaker")


def expected_at_home(device_type: str, key: str) -> bool:
    """Is this a service a device of this type offers the household as a matter of course?"""
    if key in EXPECTED_SERVICES.get(device_type, ()):
        return True
    if device_type not in MEDIA_DYNAMIC or not key.startswith("tcp/"):
        return False
    port = key[4:].rstrip("+")
    return port.isdigit() and int(port) >= CLIENT_PORTS  # Linux's dynamic range and above


def listening(
    state: DeviceState, who: Who, flow: Flow, from_internet: bool
) -> list[dict[str, Any]]:
    """A service the device answers on that it never answered on."""
    if flow.protocol not in (TCP, UDP) or flow.dst_port in INFRA_PORTS or not answered(flow):
        return []
    base, key, ts = state.baseline, service_key(flow), flow.last_seen_ms
    quiet = not from_internet and expected_at_home(who.device_type, key)
    if base.learning or key in base.services or not who.sensitivity.listening or quiet:
        base.stamp("services", key, ts)
        return []
    if base.is_flagged("services", key) or who.sensitivity.off:
        return []
    base.flag("services", key, ts)
    reach = (
        f"from the internet ({flow.src_ip}): anyone can reach it, so it is exposed to attacks"
        if from_internet
        else f"to {flow.src_ip} in the home"
    )
    return [
        make(
            who,
            "listening",
            "high" if from_internet else "medium",
            ts,
            f"{flow.dst_ip}:{flow.dst_port}",
            f"{who.name} answered connections on {key}, a service it never offered before, "
            f"{reach}. New services appear when software is installed or a setting changes, "
            "and when an attacker opens a back door.",
            baseline={"services": sorted(base.services)},
            now={"service": key, "client": flow.src_ip, "from_internet": from_internet},
            learn={"services": [key]},
            app=flow.app,
        )
    ]


def category(state: DeviceState, who: Who, flow: Flow, ts_ms: int) -> list[dict[str, Any]]:
    """A kind of traffic (nDPI category) the device never had: any for appliances, risky ones
    (mining, malware) for everything."""
    base, name = state.baseline, flow.category
    if flow.app:
        base.count("apps", flow.app)
    if name in NEUTRAL_CATEGORIES:
        return []
    if base.learning or name in base.categories:
        base.count("categories", name)
        return []
    if base.is_flagged("categories", name):
        return []
    if not (who.sensitivity.any_new_category or name in RISKY_CATEGORIES) or who.sensitivity.off:
        base.count("categories", name)
        return []
    base.flag("categories", name, ts_ms)
    usual = sorted(base.categories, key=lambda c: -base.categories[c])
    return [
        make(
            who,
            "category",
            "high" if name in RISKY_CATEGORIES else "medium",
            ts_ms,
            flow.dst_ip,
            f"{who.name} started {flow.app or 'traffic'} ({name}), a kind of traffic it never "
            f"had (usually: {listing(usual, 4) or 'nothing classified'}). "
            + (
                "Crypto-mining or malware traffic means the device is working for someone else."
                if name in RISKY_CATEGORIES
                else f"A {who.device_type} that changes what it does may have been taken over."
            ),
            baseline={"categories": usual[:20], "apps": list(base.apps)[:20]},
            now={"category": name, "app": flow.app, "server_name": flow.sni},
            learn={"categories": [name]},
            app=flow.app,
        )
    ]
