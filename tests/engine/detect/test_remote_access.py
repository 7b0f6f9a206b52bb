from __future__ import annotations

from lanward.engine.detect.remote_access import RemoteAccess, remote_app
from lanward.engine.pipeline import Engine, EngineConfig

from .flows import HOME_MAC, OTHER_MAC, ROUTER_MAC, flow


def detector(**config: object) -> RemoteAccess:
    addon = RemoteAccess()
    addon.configure(EngineConfig(**config))  # type: ignore[arg-type]
    return addon


def test_inbound_rdp_from_outside_is_high() -> None:
    [alert] = detector().flow_end(
        flow(
            src_ip="203.0.113.9",
            src_mac=ROUTER_MAC,
            dst_ip="192.168.1.20",
            dst_mac=OTHER_MAC,
            dst_port=3389,
            app="RDP",
            category="RemoteAccess",
        )
    )
    assert alert["detector"] == "remote_access_inbound"
    assert alert["severity"] == "high"
    assert alert["mac"] == OTHER_MAC
    assert (alert["src"], alert["dst"], alert["app"]) == ("203.0.113.9", "192.168.1.20", "RDP")
    assert alert["evidence"]["direction"] == "inbound"
    assert alert["evidence"]["answered"] is True
    assert "outside the home" in alert["summary"]
    assert alert["kind"] == "remote_access"
    assert set(alert) == {
        "kind",
        "detector",
        "severity",
        "time",
        "src",
        "dst",
        "mac",
        "app",
        "summary",
        "evidence",
    }


def test_outbound_and_lan_sessions_are_info() -> None:
    addon = detector()
    [out] = addon.flow_end(flow(dst_ip="198.51.100.7", dst_mac=ROUTER_MAC, app="TLS.TeamViewer"))
    [lan] = addon.flow_end(flow(app="VNC", dst_port=5900))
    assert (out["detector"], out["severity"], out["mac"], out["app"]) == (
        "remote_access",
        "info",
        HOME_MAC,
        "TeamViewer",
    )
    assert (lan["detector"], lan["severity"], lan["mac"]) == ("remote_access", "info", OTHER_MAC)
    assert lan["evidence"]["direction"] == "lan"


def test_category_and_subprotocol_names_count() -> None:
    assert remote_app(flow(app="SSH")) == "SSH"
    assert remote_app(flow(app="TLS.AnyDesk")) == "AnyDesk"
    assert remote_app(flow(app="Something", category="RemoteAccess")) == "Something"
    assert remote_app(flow(app="TLS.Netflix", category="Video")) == ""


def test_other_traffic_is_ignored() -> None:
    assert detector().flow_end(flow(app="HTTP", category="Web")) == []


def test_allow_list_makes_an_inbound_session_info() -> None:
    inbound = flow(
        src_ip="203.0.113.9", dst_ip="192.168.1.20", dst_mac=OTHER_MAC.upper(), app="AnyDesk"
    )
    [allowed] = detector(remote_access_allowed={OTHER_MAC: ("AnyDesk",)}).flow_end(inbound)
    assert allowed["severity"] == "info"
    assert allowed["evidence"]["allowed"] is True
    [any_app] = detector(remote_access_allowed={OTHER_MAC: ("*",)}).flow_end(inbound)
    assert any_app["severity"] == "info"
    [other_app] = detector(remote_access_allowed={OTHER_MAC: ("SSH",)}).flow_end(inbound)
    assert other_app["severity"] == "high"


def test_home_nets_come_from_the_config() -> None:
    # With 10.1.0.0/16 as the only home net, 192.168.1.10 is outside.
    [alert] = detector(home_nets=("10.1.0.0/16",)).flow_end(
        flow(src_ip="192.168.1.10", dst_ip="10.1.0.5", app="SSH")
    )
    assert alert["detector"] == "remote_access_inbound"


def test_refused_attempt_says_so() -> None:
    [alert] = detector().flow_end(
        flow(app="RDP", src2dst_packets=1, src2dst_bytes=58, dst2src_packets=1, dst2src_bytes=60)
    )
    assert alert["evidence"]["answered"] is False
    assert "attempt" in alert["summary"]


def test_engine_collects_the_alerts() -> None:
    engine = Engine(EngineConfig())
    engine.flow(flow(src_ip="203.0.113.9", dst_ip="192.168.1.20", app="RDP"))
    assert [a["detector"] for a in engine.result()["alerts"]] == ["remote_access_inbound"]
