"""A Flow with defaults, for detector scripts: only what a test is about needs saying."""

from __future__ import annotations

from typing import Any

from lanward.engine.events import Flow

HOME_MAC = "28:37:37:00:6d:c8"
OTHER_MAC = "00:80:8f:9a:ae:bd"
ROUTER_MAC = "00:11:22:33:44:55"


def flow(**kw: Any) -> Flow:
    base: dict[str, Any] = {
        "src_ip": "192.168.1.10",
        "dst_ip": "192.168.1.2",
        "src_port": 50000,
        "dst_port": 80,
        "protocol": 6,
        "src_mac": HOME_MAC,
        "dst_mac": OTHER_MAC,
        "first_seen_ms": 1_700_000_000_000,
        "last_seen_ms": 1_700_000_000_500,
        "src2dst_packets": 10,
        "src2dst_bytes": 2000,
        "dst2src_packets": 10,
        "dst2src_bytes": 9000,
    }
    base.update(kw)
    return Flow(**base)


def probe(dst_ip: str, dst_port: int, ts_ms: int, **kw: Any) -> Flow:
    """A refused TCP connection attempt: SYN out, RST back."""
    return flow(
        dst_ip=dst_ip,
        dst_port=dst_port,
        first_seen_ms=ts_ms,
        last_seen_ms=ts_ms + 1,
        src2dst_packets=1,
        src2dst_bytes=54,
        dst2src_packets=1,
        dst2src_bytes=60,
        **kw,
    )
