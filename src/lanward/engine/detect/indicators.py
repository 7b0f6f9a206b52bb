"""Indicator matching: a flow's remote address, server name or JA4 is on a loaded feed.

The feeds are parsed outside (`lanward.engine.detect.feeds.parse_feed`, the caller reads the
files) and handed over as `EngineConfig.indicators`. Each flow is checked for

- its remote IP (the side that is not home; both sides when neither is) against IPs and CIDRs,
- its SNI / requested host name (TLS SNI, HTTP Host, DNS query) against domains, subdomains
  included,
- its JA4 TLS client fingerprint against JA4 entries,

and each application-layer event: DNS answers' addresses against IPs and CIDRs (a name no feed
knows that points at a listed server), HTTP request URLs against URLs, TLS client hellos' JA3 and
servers' JA3S against MD5 entries, the server certificate's SHA-1 fingerprint against SHA-1
entries (abuse.ch's SSL Blacklist lists the certificates of botnet C2 servers), and, when the
client sent no server name, the names the certificate is for against domains.

A match is kind `indicator_match`, `high` when the entry comes from a malware or C2 feed and
`medium` otherwise, naming the feed, the line and the entry. One alert per (device address,
entry) per `repeat_s` (10 min), so a device beaconing to its C2 raises one alert, not hundreds;
that memory is bounded (`max_remembered`).
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from typing import Any

from lanward.engine.detect.alerts import HomeNets, alert
from lanward.engine.detect.feeds import MALICIOUS, Indicator, Indicators
from lanward.engine.events import (
    DnsAnswer,
    DnsQuery,
    Flow,
    HttpTransaction,
    TlsClientHello,
    TlsServerHello,
)

MAX_NAMES_CHECKED = 20  # of a certificate's names, when no SNI was sent


def _common_names(subject: str) -> list[str]:
    return [part[3:] for part in subject.split(", ") if part.startswith("CN=")]


_WHY = {
    "c2": "a command-and-control server: the device is likely infected and taking orders",
    "malware": "a known malware site: the device may be infected or about to download malware",
    "phishing": "a phishing site: someone may be about to give away a password",
}


class IndicatorMatch:
    def __init__(self, repeat_s: int = 600, max_remembered: int = 4096) -> None:
        self.home = HomeNets()
        self.indicators = Indicators()
        self.repeat_ms = repeat_s * 1000
        self.max_remembered = max_remembered
        self.last_alert: OrderedDict[tuple[str, str, str], int] = OrderedDict()

    def configure(self, config: Any) -> None:
        self.home = HomeNets(tuple(config.home_nets))
        self.feeds(config)

    def feeds(self, config: Any) -> None:
        indicators = getattr(config, "indicators", None)
        self.indicators = indicators if indicators is not None else Indicators()

    def flow_end(self, flow: Flow) -> list[dict[str, Any]]:
        if not len(self.indicators):
            return []
        src_home, dst_home = flow.src_ip in self.home, flow.dst_ip in self.home
        remotes = [
            ip for ip, home in ((flow.dst_ip, dst_home), (flow.src_ip, src_home)) if not home
        ]
        found: list[tuple[str, str, Indicator]] = []
        for ip in remotes:
            hit = self.indicators.match_ip(ip)
            if hit is not None:
                found.append(("ip", ip, hit))
        if flow.sni:
            hit = self.indicators.match_domain(flow.sni)
            if hit is not None:
                found.append(("server_name", flow.sni, hit))
        if flow.ja4:
            hit = self.indicators.match_ja4(flow.ja4)
            if hit is not None:
                found.append(("ja4", flow.ja4, hit))
        out = []
        # The home side: the initiator when it is home (it reached out), else the responder.
        local_ip, mac = (
            (flow.src_ip, flow.src_mac) if src_home or not dst_home else (flow.dst_ip, flow.dst_mac)
        )
        for field, seen, ind in found:
            if not self._first_in_a_while((local_ip, ind.type, ind.value), flow.last_seen_ms):
                continue
            out.append(self._alert(flow, field, seen, ind, local_ip, mac))
        return out

    def app_event(self, event: object) -> list[dict[str, Any]]:
        """URLs of HTTP requests, JA3 hashes of TLS hellos, names of DNS queries."""
        if not len(self.indicators):
            return []
        found: list[tuple[str, str, Indicator]] = []
        if isinstance(event, HttpTransaction):
            url = f"http://{event.host or event.flow.dst_ip}{event.uri}"
            hit = self.indicators.match_url(url)
            if hit is not None:
                found.append(("url", url, hit))
            app = "HTTP"
        elif isinstance(event, TlsClientHello):
            hit = self.indicators.match_hash(event.ja3_hash)
            if hit is not None:
                found.append(("ja3", event.ja3_hash, hit))
            app = "TLS"
        elif isinstance(event, TlsServerHello):
            found = self._server(event)
            app = "TLS"
        elif isinstance(event, DnsQuery):
            hit = self.indicators.match_domain(event.name)
            if hit is not None:
                found.append(("server_name", event.name, hit))
            app = "DNS"
        elif isinstance(event, DnsAnswer):
            # The name is not listed (its query would have matched), but where it points is:
            # fast flux, a fresh domain for an old C2 server. Seen before any connection.
            for address in event.addresses:
                hit = self.indicators.match_ip(address)
                if hit is not None and self.indicators.match_domain(event.name) is None:
                    found.append(("resolved_ip", address, hit))
                    break
            app = "DNS"
        else:
            return []
        if not found:
            return []
        f = event.flow
        flow = Flow(
            f.src_ip, f.dst_ip, f.src_port, f.dst_port, f.protocol, f.src_mac, f.dst_mac,
            event.ts_ms, event.ts_ms, 0, 0, 0, 0, app=app,
        )  # fmt: skip
        src_home, dst_home = f.src_ip in self.home, f.dst_ip in self.home
        local_ip, mac = (f.src_ip, f.src_mac) if src_home or not dst_home else (f.dst_ip, f.dst_mac)
        out = []
        for field, seen, ind in found:
            if not self._first_in_a_while((local_ip, ind.type, ind.value), event.ts_ms):
                continue
            if field == "resolved_ip":
                # The other side is the listed server, not the DNS resolver: a connection that
                # follows folds into this alert.
                flow = dataclasses.replace(flow, dst_ip=seen, dst_port=0, dst_mac="")
            out.append(
                self._alert(flow, field, seen, ind, local_ip, mac, getattr(event, "name", ""))
            )
        return out

    def _server(self, event: TlsServerHello) -> list[tuple[str, str, Indicator]]:
        found: list[tuple[str, str, Indicator]] = []
        hit = self.indicators.match_hash(event.ja3s_hash)
        if hit is not None:
            found.append(("ja3s", event.ja3s_hash, hit))
        for cert in event.certificates:
            hit = self.indicators.match_hash(cert.sha1)
            if hit is not None:
                found.append(("certificate", cert.fingerprint, hit))
                break
        if event.certificates and not (event.client and event.client.sni):
            # No SNI told whom the device reached: the server's certificate does.
            own = event.certificates[0]
            names = own.names or tuple(_common_names(own.subject))
            for name in names[:MAX_NAMES_CHECKED]:
                hit = self.indicators.match_domain(name.removeprefix("*."))
                if hit is not None:
                    found.append(("certificate_name", name, hit))
                    break
        return found

    def _first_in_a_while(self, key: tuple[str, str, str], ts_ms: int) -> bool:
        last = self.last_alert.get(key)
        if last is not None and ts_ms - last < self.repeat_ms:
            return False
        self.last_alert[key] = ts_ms
        self.last_alert.move_to_end(key)
        while len(self.last_alert) > self.max_remembered:
            self.last_alert.popitem(last=False)
        return True

    def _alert(
        self,
        flow: Flow,
        field: str,
        seen: str,
        ind: Indicator,
        local_ip: str,
        mac: str,
        looked_up: str = "",
    ) -> dict[str, Any]:
        severity = "high" if ind.category in MALICIOUS else "medium"
        what = {
            "ip": "address",
            "server_name": "server name",
            "ja4": "TLS fingerprint (JA4)",
            "ja3": "TLS fingerprint (JA3)",
            "url": "web address",
            "ja3s": "server's TLS fingerprint (JA3S)",
            "certificate": "TLS certificate (SHA-1 fingerprint)",
            "certificate_name": "TLS certificate's name",
            "resolved_ip": "address",
        }[field]
        why = _WHY.get(ind.category, "listed as a threat by that feed")
        entry = ind.source or ind.value
        remote = flow.dst_ip if local_ip == flow.src_ip else flow.src_ip
        listed = f"on the indicator feed {ind.feed!r} (entry {entry!r}, line {ind.line})"
        if field == "resolved_ip":
            summary = f"{local_ip} looked up {looked_up}, which points to {seen}, {listed}: {why}."
        elif field == "server_name" and flow.app.partition(".")[0] == "DNS":
            summary = f"{local_ip} looked up {seen}, which is {listed}: {why}."
        elif field == "url":
            summary = f"{local_ip} requested {seen}, which is {listed}: {why}."
        else:
            summary = f"{local_ip} talked to {remote}, whose {what} {seen} is {listed}: {why}."
        return alert(
            "indicator_match",
            severity,
            flow.first_seen_ms,
            flow.src_ip,
            flow.dst_ip,
            mac,
            summary,
            app=flow.app,
            evidence={
                "matched_field": field,
                "matched_value": seen,
                "indicator": ind.as_dict(),
                "src_port": flow.src_port,
                "dst_port": flow.dst_port,
                "protocol": flow.protocol,
            },
        )
