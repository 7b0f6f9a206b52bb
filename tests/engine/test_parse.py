"""lanward.engine.parse: discovery packets built with scapy, as raw IP bytes, in; events out."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dhcp6 import (
    DUID_LL,
    DUID_LLT,
    VENDOR_CLASS_DATA,
    DHCP6_Advertise,
    DHCP6_Confirm,
    DHCP6_Decline,
    DHCP6_InfoRequest,
    DHCP6_Rebind,
    DHCP6_RelayForward,
    DHCP6_Release,
    DHCP6_Renew,
    DHCP6_Reply,
    DHCP6_Request,
    DHCP6_Solicit,
    DHCP6OptClientFQDN,
    DHCP6OptClientId,
    DHCP6OptElapsedTime,
    DHCP6OptIA_NA,
    DHCP6OptOptReq,
    DHCP6OptRelayMsg,
    DHCP6OptServerId,
    DHCP6OptVendorClass,
)
from scapy.layers.dns import DNS, DNSQR, DNSRR, DNSRRSRV
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.netbios import (
    NBNS_ADD_ENTRY,
    NBNSHeader,
    NBNSNodeStatusResponse,
    NBNSNodeStatusResponseService,
    NBNSQueryRequest,
    NBNSQueryResponse,
    NBNSRegistrationRequest,
    NBTDatagram,
)
from scapy.packet import Packet, Raw

from lanward.engine.events import DhcpSeen, MdnsSeen, NameSeen, SsdpSeen
from lanward.engine.parse import DISCOVERY_BPF, parse

MAC = "78:f8:82:d3:fb:c2"
HOST = "192.168.1.20"
TS = 1_700_000_000_000


def udp4(payload: Packet | bytes, sport: int, dport: int, src: str = HOST, dst: str = "") -> bytes:
    body = Raw(payload) if isinstance(payload, bytes) else payload
    return bytes(IP(src=src, dst=dst or "255.255.255.255") / UDP(sport=sport, dport=dport) / body)


def udp6(payload: Packet, sport: int, dport: int, src: str = "fe80::7af8:82ff:fed3:fbc2") -> bytes:
    return bytes(IPv6(src=src, dst="ff02::1:2") / UDP(sport=sport, dport=dport) / payload)


# --- DHCP ---------------------------------------------------------------------------------


def dhcp_request(**options: object) -> bytes:
    chaddr = bytes.fromhex(MAC.replace(":", "")) + bytes(10)
    opts = [("message-type", "request"), *options.items(), "end"]
    bootp = BOOTP(op=1, chaddr=chaddr, xid=0x1234) / DHCP(options=opts)
    return udp4(bootp, 68, 67, src="0.0.0.0")


def test_dhcp_request_carries_the_client_identity() -> None:
    packet = dhcp_request(
        client_id=b"\x01" + bytes.fromhex("78f882d3fbc2"),
        requested_addr="172.16.42.216",
        hostname=b"android-1c1335ec95a27318",
        vendor_class_id=b"dhcpcd-5.5.6",
        param_req_list=[1, 33, 3, 6, 15, 26, 28, 51, 58, 59],
    )
    assert parse(packet, MAC, TS) == [
        DhcpSeen(
            mac=MAC,
            ts_ms=TS,
            message_type="request",
            hostname="android-1c1335ec95a27318",
            param_list=(1, 33, 3, 6, 15, 26, 28, 51, 58, 59),
            vendor_class="dhcpcd-5.5.6",
            client_id="0178f882d3fbc2",
            requested_ip="172.16.42.216",
        )
    ]


def test_dhcp_device_is_chaddr_not_the_frame_sender() -> None:
    """A relay agent forwards the client's message: the client is in chaddr."""
    [event] = parse(dhcp_request(hostname=b"laptop"), "00:11:22:33:44:55", TS)
    assert isinstance(event, DhcpSeen)
    assert event.mac == MAC


def test_dhcp_renewal_gives_the_current_address() -> None:
    chaddr = bytes.fromhex(MAC.replace(":", "")) + bytes(10)
    bootp = BOOTP(op=1, chaddr=chaddr, ciaddr=HOST) / DHCP(
        options=[("message-type", "request"), "end"]
    )
    [event] = parse(udp4(bootp, 68, 67), MAC, TS)
    assert isinstance(event, DhcpSeen)
    assert event.ip == HOST


def test_dhcp_server_messages_are_ignored() -> None:
    offer = BOOTP(op=2, yiaddr=HOST, chaddr=bytes(16)) / DHCP(
        options=[("message-type", "offer"), ("hostname", b"router"), "end"]
    )
    assert parse(udp4(offer, 67, 68, src="192.168.1.1"), "00:11:22:33:44:55", TS) == []


def test_bootp_without_dhcp_options_is_ignored() -> None:
    assert parse(udp4(BOOTP(op=1), 68, 67), MAC, TS) == []


# --- DHCPv6 -------------------------------------------------------------------------------

DUID = DUID_LLT(lladdr=MAC, timeval=1582454798)


def test_dhcpv6_solicit_with_every_option() -> None:
    message = (
        DHCP6_Solicit(trid=0xD8E4FE)
        / DHCP6OptClientId(duid=DUID)
        / DHCP6OptIA_NA(iaid=0x0E0008CA)
        / DHCP6OptElapsedTime()
        / DHCP6OptClientFQDN(fqdn="DESKTOP-AB12CD3.home.arpa.")
        / DHCP6OptVendorClass(enterprisenum=311, vcdata=[VENDOR_CLASS_DATA(data=b"MSFT 5.0")])
        / DHCP6OptOptReq(reqopts=[17, 23, 24, 39])
    )
    assert parse(udp6(message, 546, 547), MAC, TS) == [
        DhcpSeen(
            mac=MAC,
            ts_ms=TS,
            message_type="solicit",
            hostname="DESKTOP-AB12CD3",
            param_list=(17, 23, 24, 39),
            vendor_class="MSFT 5.0",
            # DUID-LLT: type 1, hardware type 1 (Ethernet), time, link-layer address
            client_id="000100015e52580e" + "78f882d3fbc2",
            ip="fe80::7af8:82ff:fed3:fbc2",
            v6=True,
        )
    ]


@pytest.mark.parametrize(
    ("message", "name"),
    [
        (DHCP6_Solicit, "solicit"),
        (DHCP6_Request, "request"),
        (DHCP6_Confirm, "confirm"),
        (DHCP6_Renew, "renew"),
        (DHCP6_Rebind, "rebind"),
        (DHCP6_Release, "release"),
        (DHCP6_Decline, "decline"),
        (DHCP6_InfoRequest, "information-request"),
    ],
)
def test_dhcpv6_client_message_types(message: type[Packet], name: str) -> None:
    [event] = parse(udp6(message() / DHCP6OptClientId(duid=DUID_LL(lladdr=MAC)), 546, 547), MAC, 1)
    assert isinstance(event, DhcpSeen)
    # DUID-LL: type 3, hardware type 1 (Ethernet), link-layer address
    assert (event.message_type, event.client_id, event.v6) == (name, "0003000178f882d3fbc2", True)


@pytest.mark.parametrize(
    "message",
    [
        DHCP6_Advertise(trid=1) / DHCP6OptServerId(duid=DUID_LL(lladdr="00:11:22:33:44:55")),
        DHCP6_Reply(trid=1) / DHCP6OptClientFQDN(fqdn="client-laptop.home."),
        DHCP6_RelayForward(hopcount=0, linkaddr="2001:db8::1", peeraddr="fe80::1")
        / DHCP6OptRelayMsg(message=DHCP6_Solicit() / DHCP6OptClientFQDN(fqdn="client.")),
    ],
    ids=["advertise", "reply", "relay-forward"],
)
def test_dhcpv6_server_and_relay_messages_describe_someone_else(message: Packet) -> None:
    """The router echoes the client's name in its reply: that is not the router's name."""
    assert parse(udp6(message, 547, 546, src="fe80::1"), "00:11:22:33:44:55", TS) == []


def test_dhcpv6_without_identity_options_gives_nothing() -> None:
    assert parse(udp6(DHCP6_Solicit() / DHCP6OptElapsedTime(), 546, 547), MAC, TS) == []


def test_dhcpv6_vendor_class_with_several_strings() -> None:
    vendor = DHCP6OptVendorClass(
        enterprisenum=4491,
        vcdata=[VENDOR_CLASS_DATA(data=b"docsis3.0"), VENDOR_CLASS_DATA(data=b"eRouter1.0")],
    )
    [event] = parse(udp6(DHCP6_Solicit() / vendor, 546, 547), MAC, TS)
    assert isinstance(event, DhcpSeen)
    assert event.vendor_class == "docsis3.0 eRouter1.0"


def test_dhcpv6_from_the_android_capture() -> None:
    """The real Solicit in android.pcap: ORO (23, 24) and a DUID-LLT with the phone's MAC."""
    from tests.ndpi_corpus import PCAPS, require_corpus

    require_corpus()
    from scapy.layers.l2 import Ether
    from scapy.utils import rdpcap

    events = [
        e
        for frame in rdpcap(str(PCAPS / "android.pcap"))
        if IPv6 in frame and UDP in frame and frame[UDP].dport == 547
        for e in parse(bytes(frame[IPv6]), frame[Ether].src, 0)
    ]
    assert len(events) == 2
    for event in events:
        assert isinstance(event, DhcpSeen)
        assert (event.message_type, event.param_list, event.v6) == ("solicit", (23, 24), True)
        assert event.client_id.endswith("4c6af69ff627")
        assert event.mac == "4c:6a:f6:9f:f6:27"


# --- mDNS and LLMNR -----------------------------------------------------------------------


def test_mdns_announcement() -> None:
    response = DNS(
        qr=1,
        aa=1,
        an=[
            DNSRR(rrname="Living-Room.local.", type="A", rdata=HOST),
            DNSRR(
                rrname="_googlecast._tcp.local.",
                type="PTR",
                rdata="Chromecast-abc._googlecast._tcp.local.",
            ),
            DNSRRSRV(
                rrname="Chromecast-abc._googlecast._tcp.local.",
                target="Living-Room.local.",
                port=8009,
            ),
            DNSRR(
                rrname="Chromecast-abc._googlecast._tcp.local.",
                type="TXT",
                rdata=[b"md=Chromecast Ultra", b"fn=Living Room", b"flag"],
            ),
            DNSRR(
                rrname="_services._dns-sd._udp.local.",
                type="PTR",
                rdata="_googlecast._tcp.local.",
            ),
        ],
    )
    assert parse(udp4(response, 5353, 5353, dst="224.0.0.251"), MAC, TS) == [
        MdnsSeen(
            mac=MAC,
            ip=HOST,
            ts_ms=TS,
            names=("Living-Room.local",),
            services=("Chromecast-abc._googlecast._tcp.local",),
            txt=(("md", "Chromecast Ultra"), ("fn", "Living Room")),
        )
    ]


def test_mdns_query_says_nothing_about_the_asker() -> None:
    query = DNS(qr=0, qd=DNSQR(qname="_googlecast._tcp.local.", qtype="PTR"))
    assert parse(udp4(query, 5353, 5353, dst="224.0.0.251"), MAC, TS) == []


def test_mdns_over_ipv6() -> None:
    response = DNS(qr=1, aa=1, an=DNSRR(rrname="printer.local.", type="AAAA", rdata="fe80::1"))
    packet = bytes(IPv6(src="fe80::1", dst="ff02::fb") / UDP(sport=5353, dport=5353) / response)
    [event] = parse(packet, MAC, TS)
    assert isinstance(event, MdnsSeen)
    assert (event.ip, event.names) == ("fe80::1", ("printer.local",))


def test_llmnr_response_names_the_responder() -> None:
    response = DNS(qr=1, qd=DNSQR(qname="DESKTOP-1"), an=DNSRR(rrname="DESKTOP-1", rdata=HOST))
    assert parse(udp4(response, 5355, 50000, dst="192.168.1.5"), MAC, TS) == [
        NameSeen(mac=MAC, ip=HOST, ts_ms=TS, name="DESKTOP-1", source="llmnr")
    ]


def test_llmnr_query_is_ignored() -> None:
    query = DNS(qr=0, qd=DNSQR(qname="wpad"))
    assert parse(udp4(query, 50000, 5355, dst="224.0.0.252"), MAC, TS) == []


# --- NetBIOS ------------------------------------------------------------------------------


def netbios(payload: Packet, src: str = HOST, sport: int = 137, dport: int = 137) -> bytes:
    return udp4(payload, sport, dport, src=src, dst="192.168.1.255")


def named(name: str, source: str = "netbios", ip: str = HOST) -> list[NameSeen]:
    return [NameSeen(mac=MAC, ip=ip, ts_ms=TS, name=name, source=source)]


def test_netbios_registration_claims_the_name() -> None:
    registration = NBNSHeader(OPCODE=5, NM_FLAGS=0x11, QDCOUNT=1, ARCOUNT=1) / (
        NBNSRegistrationRequest(QUESTION_NAME="LAPTOP1", NB_ADDRESS=HOST)
    )
    assert parse(netbios(registration), MAC, TS) == named("LAPTOP1")


def test_netbios_query_names_someone_else() -> None:
    query = NBNSHeader(OPCODE=0, NM_FLAGS=0x11, QDCOUNT=1) / NBNSQueryRequest(QUESTION_NAME="GURU")
    assert parse(netbios(query), MAC, TS) == []


def query_response(name: str, address: str, rcode: int = 0) -> Packet:
    return NBNSHeader(RESPONSE=1, OPCODE=0, NM_FLAGS=0x50, RCODE=rcode, ANCOUNT=1) / (
        NBNSQueryResponse(RR_NAME=name, ADDR_ENTRY=[NBNS_ADD_ENTRY(NB_ADDRESS=address)])
    )


def test_netbios_answer_with_own_address_claims_the_name() -> None:
    assert parse(netbios(query_response("GURU", HOST)), MAC, TS) == named("GURU")


def test_netbios_name_server_answering_for_another_host() -> None:
    """A WINS server answers with the owner's address; the name is not the server's."""
    assert parse(netbios(query_response("GURU", "192.168.1.77")), MAC, TS) == []


def test_netbios_negative_answer_is_ignored() -> None:
    assert parse(netbios(query_response("GURU", HOST, rcode=3)), MAC, TS) == []


def test_netbios_node_status_gives_the_unique_workstation_name() -> None:
    table = [
        NBNSNodeStatusResponseService(NETBIOS_NAME="WORKGROUP", SUFFIX=0x00, NAME_FLAGS=0x84),
        NBNSNodeStatusResponseService(NETBIOS_NAME="GUNNAR", SUFFIX=0x00, NAME_FLAGS=0x04),
    ]
    status = NBNSHeader(RESPONSE=1, OPCODE=0, NM_FLAGS=0x40, ANCOUNT=1) / (
        NBNSNodeStatusResponse(NODE_NAME=table, MAC_ADDRESS=MAC)
    )
    assert parse(netbios(status), MAC, TS) == named("GUNNAR")


def test_netbios_datagram_source_name() -> None:
    """A browser announcement on port 138 names its sender (0x4341: the 0x20 server suffix)."""
    announcement = NBTDatagram(
        Type=0x11, SourceIP=HOST, SourcePort=138, SourceName="NVR9", SUFFIX1=0x4341
    )
    assert parse(netbios(announcement, sport=138, dport=138), MAC, TS) == named("NVR9")


def test_netbios_datagram_relayed_by_a_datagram_server() -> None:
    relayed = NBTDatagram(Type=0x11, SourceIP="192.168.1.77", SourcePort=138, SourceName="NVR9")
    assert parse(netbios(relayed, sport=138, dport=138), MAC, TS) == []


def test_netbios_garbage_name_is_ignored() -> None:
    header = bytes.fromhex("2a1b2910000100000000000120") + b"zz" * 16 + b"\x00\x00\x20\x00\x01"
    assert parse(netbios(header), MAC, TS) == []


# --- SSDP and WS-Discovery ----------------------------------------------------------------

SONOS_NOTIFY = (
    b"NOTIFY * HTTP/1.1\r\n"
    b"HOST: 239.255.255.250:1900\r\n"
    b"NT: urn:schemas-upnp-org:device:ZonePlayer:1\r\n"
    b"NTS: ssdp:alive\r\n"
    b"SERVER: Linux UPnP/1.0 Sonos/70.3-35220 (ZPS13)\r\n"
    b"USN: uuid:RINCON_000E58A0B1C201400::urn:schemas-upnp-org:device:ZonePlayer:1\r\n"
    b"LOCATION: http://192.168.1.20:1400/xml/device_description.xml\r\n\r\n"
)


def test_ssdp_notify() -> None:
    assert parse(udp4(SONOS_NOTIFY, 1900, 1900, dst="239.255.255.250"), MAC, TS) == [
        SsdpSeen(
            mac=MAC,
            ip=HOST,
            ts_ms=TS,
            method="NOTIFY",
            server="Linux UPnP/1.0 Sonos/70.3-35220 (ZPS13)",
            usn="uuid:RINCON_000E58A0B1C201400::urn:schemas-upnp-org:device:ZonePlayer:1",
            nt="urn:schemas-upnp-org:device:ZonePlayer:1",
            location="http://192.168.1.20:1400/xml/device_description.xml",
        )
    ]


def test_ssdp_search_and_response() -> None:
    search = (
        b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\n'
        b"ST: urn:dial-multiscreen-org:service:dial:1\r\n"
        b"USER-AGENT: Google Chrome/99.0.4844.74 Mac OS X\r\n\r\n"
    )
    [event] = parse(udp4(search, 50000, 1900, dst="239.255.255.250"), MAC, TS)
    assert isinstance(event, SsdpSeen)
    assert (event.method, event.user_agent, event.nt) == (
        "M-SEARCH",
        "Google Chrome/99.0.4844.74 Mac OS X",
        "urn:dial-multiscreen-org:service:dial:1",
    )
    response = (
        b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\n"
        b"ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
        b"SERVER: OpenWRT/OpenWrt UPnP/1.1 MiniUPnPd/2.2.1\r\n\r\n"
    )
    [event] = parse(udp4(response, 1900, 50000, src="192.168.1.1", dst=HOST), MAC, TS)
    assert isinstance(event, SsdpSeen)
    assert (event.method, event.nt) == (
        "HTTP/1.1",
        "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
    )


def test_ssdp_without_headers_is_ignored() -> None:
    assert parse(udp4(b"hello", 1900, 1900), MAC, TS) == []


def wsd(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
        'xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def test_wsd_hello_announces_device_types() -> None:
    hello = wsd(
        "<wsd:Hello><wsd:Types>wsdp:Device wprt:PrintDeviceType</wsd:Types>"
        "<wsd:XAddrs>http://192.168.1.20:5357/x</wsd:XAddrs></wsd:Hello>"
    )
    assert parse(udp4(hello, 3702, 3702, dst="239.255.255.250"), MAC, TS) == [
        NameSeen(
            mac=MAC,
            ip=HOST,
            ts_ms=TS,
            name="",
            source="wsd",
            detail="Device PrintDeviceType http://192.168.1.20:5357/x",
        )
    ]


def test_wsd_probe_and_resolve_say_what_is_sought() -> None:
    probe = wsd("<wsd:Probe><wsd:Types>wprt:PrintDeviceType</wsd:Types></wsd:Probe>")
    assert parse(udp4(probe, 3702, 3702), MAC, TS) == []


# --- anything else ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "packet",
    [
        b"",
        b"\x00",
        b"\x45",
        bytes(IP(src=HOST, dst="8.8.8.8") / TCP(sport=5353, dport=5353)),
        bytes(IP(src=HOST, dst="8.8.8.8") / UDP(sport=53, dport=53) / DNS()),
        bytes(IPv6() / UDP(sport=68, dport=67) / BOOTP(op=1) / DHCP(options=["end"])),
    ],
    ids=["empty", "one-byte", "bare-version", "tcp", "other-port", "dhcpv4-over-ipv6"],
)
def test_other_packets_give_nothing(packet: bytes) -> None:
    assert parse(packet, MAC, TS) == []


def test_bpf_filter_covers_every_parsed_port() -> None:
    ports = {int(p) for p in re.findall(r"port (\d+)", DISCOVERY_BPF)}
    assert ports == {67, 68, 546, 547, 5353, 5355, 137, 138, 1900, 3702}


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_parse_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    assert isinstance(parse(data, MAC, TS), list)


DISCOVERY_PORTS = st.sampled_from([67, 68, 137, 138, 546, 547, 1900, 3702, 5353, 5355])


@settings(max_examples=300, deadline=None)
@given(DISCOVERY_PORTS, st.booleans(), st.binary(max_size=400))
def test_parse_never_raises_on_arbitrary_discovery_payloads(
    port: int, v6: bool, payload: bytes
) -> None:
    """Random payloads behind valid IP/UDP headers reach every protocol parser."""
    layer = IPv6(src="fe80::1", dst="ff02::1") if v6 else IP(src=HOST, dst="255.255.255.255")
    packet = bytes(layer / UDP(sport=port, dport=port) / Raw(payload))
    events = parse(packet, MAC, TS)
    assert all(isinstance(e, DhcpSeen | MdnsSeen | SsdpSeen | NameSeen) for e in events)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["solicit", "request", "renew", "information-request"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20),
    st.lists(st.integers(0, 65535), max_size=12),
    st.binary(min_size=6, max_size=6),
)
def test_dhcpv6_round_trip(kind: str, host: str, oro: list[int], lladdr: bytes) -> None:
    message = {
        "solicit": DHCP6_Solicit,
        "request": DHCP6_Request,
        "renew": DHCP6_Renew,
        "information-request": DHCP6_InfoRequest,
    }[kind]
    mac = ":".join(f"{b:02x}" for b in lladdr)
    packet = (
        message()
        / DHCP6OptClientId(duid=DUID_LL(lladdr=mac))
        / DHCP6OptClientFQDN(fqdn=f"{host}.lan.")
        / DHCP6OptOptReq(reqopts=oro)
    )
    [event] = parse(udp6(packet, 546, 547), mac, TS)
    assert isinstance(event, DhcpSeen)
    assert (event.message_type, event.hostname, event.param_list) == (kind, host, tuple(oro))
    assert event.client_id == "00030001" + lladdr.hex()
