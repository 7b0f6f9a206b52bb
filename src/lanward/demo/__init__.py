"""Demo data: a realistic capture of a small home network, written to a pcap file.

`generate_home_capture` is the entry point; `wire` packs frames and TCP conversations, `payloads`
builds the application messages with scapy, `home` holds what every device on a LAN shares.
"""

from lanward.demo.generate import generate_home_capture

__all__ = ["generate_home_capture"]
