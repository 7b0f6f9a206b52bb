"""The anomaly detector addon: routes flows and application events to the per-device checks.

Per home device (by MAC) it keeps a baseline (baseline.py) and working state (state.py). A flow
a home device opened to the internet feeds the volume, beacon, network/country, domain (its
server name) and category checks; one between two home devices feeds the initiator's LAN peers
and the responder's listening services; one from the internet that a home device answered feeds
its listening services and its upload volume. DNS queries, TLS hellos and HTTP requests feed
the domain checks (domains.py); DNS answers feed the failed-lookup check (nxdomain.py), for the
client that asked (the answer's flow has it as src).

A baseline learns for `anomaly_learning_days` (7) from the device's first traffic, and alerts
only after that: that is also the quiet period after a device joins. The device type comes from
`type_overrides` (what the household set), else the engine's device table (attached with
`attach`), and picks the sensitivity (sensitivity.py).
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict
from functools import lru_cache
from typing import Any

from lanward.engine.detect.alerts import HomeNets
from lanward.engine.detect.anomaly import domains, names, novelty, nxdomain, traffic
from lanward.engine.detect.anomaly.baseline import Baseline, learn
from lanward.engine.detect.anomaly.explain import Who
from lanward.engine.detect.anomaly.sensitivity import LEVELS, for_type
from lanward.engine.detect.anomaly.state import HOUR_MS, DeviceState
from lanward.engine.events import DnsAnswer, DnsQuery, Flow, HttpTransaction, TlsClientHello
from lanward.engine.recognize import oui

DAY_MS = 24 * HOUR_MS
TYPE_REFRESH_MS = 10 * 60_000


@lru_cache(maxsize=8192)
def _mac(mac: str) -> str:
    try:
        normal = oui.normalize_mac(mac)
    except ValueError:
        return ""
    return "" if oui.is_multicast(normal) else normal


def is_remote(ip: str, home: HomeNets) -> bool:
    """A unicast internet address (not home, not multicast, loopback or link-local)."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return not (
        ip in home
        or addr.is_multicast
        or addr.is_unspecified
        or addr.is_loopback
        or addr.is_link_local
        or ip == "255.255.255.255"
    )


class AnomalyDetector:
    def __init__(
        self,
        learning_days: float = 7.0,
        sensitivity: dict[str, str] | None = None,
        max_devices: int = 1024,
    ) -> None:
        self.home = HomeNets()
        self.own: set[str] = set()  # the station's own MACs (EngineConfig.own_macs)
        self.learning_ms = int(learning_days * DAY_MS)
        self.sensitivity = dict(sensitivity or {})
        self.max_devices = max_devices
        self.type_overrides: dict[str, str] = {}
        self.device_table: Any = None
        self.states: OrderedDict[str, DeviceState] = OrderedDict()
        self.dirty: set[str] = set()
        self._where: dict[str, str] = {}  # address -> "home" | "remote" | "other" (cache)
        self.enabled = True  # off: learns nothing, alerts nothing (Privacy settings)

    def _place(self, ip: str) -> str:
        found = self._where.get(ip)
        if found is None:
            if len(self._where) > 65536:
                self._where.clear()
            found = "home" if ip in self.home else "remote" if is_remote(ip, self.home) else "other"
            self._where[ip] = found
        return found

    # -- engine hooks ------------------------------------------------------------------------

    def configure(self, config: Any) -> None:
        self.home = HomeNets(tuple(config.home_nets))
        self.own = {_mac(m) for m in getattr(config, "own_macs", ())} - {""}
        self._where = {}
        days = getattr(config, "anomaly_learning_days", None)
        if days is not None:
            if float(days) < 0:
                raise ValueError("anomaly_learning_days must be 0 or more")
            self.learning_ms = int(float(days) * DAY_MS)
        levels = getattr(config, "anomaly_sensitivity", None)
        if levels:
            bad = {t: lv for t, lv in levels.items() if lv not in LEVELS}
            if bad:
                raise ValueError(f"unknown anomaly sensitivity {bad}; use one of {LEVELS}")
            self.sensitivity = dict(levels)

    def attach(self, devices: Any) -> None:
        """The engine's device table, for device types and linked (randomized) MACs."""
        self.device_table = devices

    def switch(self, on: bool) -> None:
        """Switched off, every baseline is forgotten; switched on, learning starts again."""
        if not on:
            self.states.clear()
            self.dirty.clear()
        self.enabled = on

    def flow_end(self, flow: Flow) -> list[dict[str, Any]]:
        if not self.enabled:
            return []
        src, dst = self._place(flow.src_ip), self._place(flow.dst_ip)
        out: list[dict[str, Any]] = []
        if src == "home" and dst == "home":
            client = self._state(flow.src_mac, flow.src_ip, flow.last_seen_ms)
            if client is not None:
                state, who = client
                out += novelty.lan_peer(state, who, flow.dst_ip, flow.last_seen_ms)
            server = self._state(flow.dst_mac, flow.dst_ip, flow.last_seen_ms)
            if server is not None:
                out += novelty.listening(server[0], server[1], flow, from_internet=False)
        elif src == "home" and dst == "remote":
            found = self._state(flow.src_mac, flow.src_ip, flow.last_seen_ms)
            if found is not None:
                out += self._outbound(found[0], found[1], flow)
        elif dst == "home" and src == "remote":
            found = self._state(flow.dst_mac, flow.dst_ip, flow.last_seen_ms)
            if found is not None:
                state, who = found
                out += novelty.listening(state, who, flow, from_internet=True)
                if novelty.answered(flow):
                    out += traffic.volume(
                        state, who, flow.last_seen_ms, flow.dst2src_bytes, flow.src2dst_bytes,
                        traffic.network_of(flow.src_ip), False,
                    )  # fmt: skip
        return out

    def app_event(self, event: Any) -> list[dict[str, Any]]:
        if not self.enabled:
            return []
        if isinstance(event, DnsAnswer):
            return self._answer(event)
        if isinstance(event, DnsQuery):
            name, via = event.name, "looked up"
        elif isinstance(event, TlsClientHello):
            name, via = event.sni, "connected to"
        elif isinstance(event, HttpTransaction):
            name, via = event.host, "requested"
        else:
            return []
        key = event.flow
        if not name or self._place(key.src_ip) != "home":
            return []
        found = self._state(key.src_mac, key.src_ip, event.ts_ms)
        if found is None:
            return []
        alerts = domains.observe(found[0], found[1], name, event.ts_ms, via)
        if alerts:
            nxdomain.note_generated(found[0], alerts, event.ts_ms)
        return alerts

    def _answer(self, event: DnsAnswer) -> list[dict[str, Any]]:
        key = event.flow
        if not event.name or self._place(key.src_ip) != "home":
            return []
        found = self._state(key.src_mac, key.src_ip, event.ts_ms)
        if found is None:
            return []
        return nxdomain.observe(found[0], found[1], event)

    # -- flows a device opened to the internet -----------------------------------------------

    def _outbound(self, state: DeviceState, who: Who, flow: Flow) -> list[dict[str, Any]]:
        ts = flow.last_seen_ms
        out: list[dict[str, Any]] = []
        base = state.baseline
        name = flow.sni if flow.sni and not names.is_ip(flow.sni) else ""
        domain = names.registered(name) if name else ""
        # Known: used during learning or for a day; a name first looked up a second before
        # this connection is new, though its DNS query already put it in the baseline.
        if domain:
            entry = base.domains.get(domain)
            known = entry is not None and (
                (base.learned_ms and entry[0] < base.learned_ms)
                or flow.first_seen_ms - entry[0] > DAY_MS
            )
        else:
            known = traffic.network_of(flow.dst_ip) in base.networks
        is_dns = flow.dst_port == 53 or flow.app.split(".")[0] == "DNS"
        if name:
            via = "looked up" if is_dns else "connected to"
            out += domains.observe(state, who, name, flow.first_seen_ms, via)
        if is_dns:
            return out
        base.hours_of_day[(flow.first_seen_ms // HOUR_MS) % 24] += 1
        up, down = flow.src2dst_bytes, flow.dst2src_bytes
        place = domain or traffic.network_of(flow.dst_ip)
        out += traffic.volume(state, who, ts, up, down, place, not known)
        # Timers are per server name (one domain serves many timers), else per address.
        host = name.lower() if name else flow.dst_ip
        out += traffic.beacon(state, who, flow, host, domain, known)
        out += novelty.remote(state, who, flow, flow.dst_ip, ts, named=bool(name))
        out += novelty.category(state, who, flow, ts)
        return out

    # -- devices -----------------------------------------------------------------------------

    def _state(self, raw_mac: str, ip: str, ts_ms: int) -> tuple[DeviceState, Who] | None:
        mac = _mac(raw_mac)
        if not mac or mac in self.own:  # the station itself learns no baseline
            return None
        if self.device_table is not None:
            mac = self.device_table.aliases.get(mac, mac)
        state = self.states.get(mac)
        if state is None:
            state = self.states[mac] = DeviceState(Baseline(mac))
            while len(self.states) > self.max_devices:
                self.states.popitem(last=False)
        self.states.move_to_end(mac)
        base = state.baseline
        base.seen(ts_ms)
        base.learning = base.learning_at(ts_ms, self.learning_ms)
        self.dirty.add(mac)
        state.ip = ip or state.ip
        device_type = self._type(mac, state, ts_ms)
        return state, Who(mac, state.ip, device_type, for_type(device_type, self.sensitivity))

    def _type(self, mac: str, state: DeviceState, ts_ms: int) -> str:
        if mac in self.type_overrides:
            return self.type_overrides[mac]
        if self.device_table is None:
            return state.device_type
        if state.type_checked_ms < 0 or ts_ms - state.type_checked_ms >= TYPE_REFRESH_MS:
            state.type_checked_ms = ts_ms
            device = self.device_table.devices.get(mac)
            if device is not None:
                state.device_type = device.identity().type.value or "unknown"
        return state.device_type

    # -- baselines as data -------------------------------------------------------------------

    def load(self, baselines: dict[str, Any]) -> list[str]:
        """Take stored baselines (MAC -> export() dict); returns a problem per bad one."""
        problems = []
        for mac, data in baselines.items():
            try:
                base = Baseline.load(data)
            except ValueError as exc:
                problems.append(f"baseline of {mac}: {exc}")
                continue
            state = self.states.get(base.mac)
            if state is None:
                self.states[base.mac] = DeviceState(base)
            else:
                state.baseline = base
        return problems

    def export(self, macs: set[str] | None = None) -> dict[str, dict[str, Any]]:
        return {
            mac: s.baseline.export()
            for mac, s in self.states.items()
            if macs is None or mac in macs
        }

    def take_dirty(self) -> dict[str, dict[str, Any]]:
        """Baselines changed since the last call (for the station's periodic save)."""
        out = self.export(self.dirty)
        self.dirty = set()
        return out

    def learn(self, mac: str, evidence: dict[str, Any]) -> list[str]:
        """ "This is normal": fold an alert's evidence into the device's live baseline."""
        mac = _mac(mac)
        state = self.states.get(mac)
        if state is None:
            state = self.states[mac] = DeviceState(Baseline(mac))
        done = learn(state.baseline, evidence)
        state.threshold = None  # recomputed with the new allowance
        self.dirty.add(mac)
        return done
