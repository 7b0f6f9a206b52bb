"""ARP from Ethernet, VLAN-tagged and Linux cooked frames (built with scapy)."""

from __future__ import annotations

from scapy.layers.l2 import ARP, CookedLinux, Dot1Q, Ether

from lanward.engine.applayer.arp import LINKTYPE_SLL, arp_from_frame
from lanward.engine.events import ArpSeen

REPLY = ARP(
    op=2,
    hwsrc="aa:bb:cc:00:00:01",
    psrc="192.168.1.1",
    hwdst="aa:bb:cc:00:00:02",
    pdst="192.168.1.2",
)


def test_plain_and_vlan_tagged_reply() -> None:
    expected = ArpSeen(
        5,
        2,
        "de:ad:be:ef:00:01",
        "aa:bb:cc:00:00:01",
        "192.168.1.1",
        "aa:bb:cc:00:00:02",
        "192.168.1.2",
    )
    plain = bytes(Ether(src="de:ad:be:ef:00:01", dst="ff:ff:ff:ff:ff:ff") / REPLY)
    tagged = bytes(Ether(src="de:ad:be:ef:00:01") / Dot1Q(vlan=10) / Dot1Q(vlan=20) / REPLY)
    assert arp_from_frame(plain, 5) == expected
    assert arp_from_frame(tagged, 5) == expected


def test_cooked_capture_and_not_arp() -> None:
    cooked = bytes(
        CookedLinux(
            pkttype=0,
            lladdrtype=1,
            lladdrlen=6,
            src=b"\xde\xad\xbe\xef\x00\x01\x00\x00",
            proto=0x0806,
        )
        / REPLY
    )
    event = arp_from_frame(cooked, 1, LINKTYPE_SLL)
    assert event is not None and event.eth_src == "de:ad:be:ef:00:01" and event.op == 2
    assert arp_from_frame(bytes(Ether() / (b"\x00" * 40)), 1) is None
    assert arp_from_frame(b"\x00" * 13, 1) is None
    assert (
        arp_from_frame(bytes(Ether(type=0x0806) / b"\x00\x01\x08\x00\x06\x04\x00\x03"), 1) is None
    )
