"""Application-layer inspection: the packets of a flow in, typed events (engine/events.py) out.

Sans-IO and pure. `FlowParser` (flow.py) takes whole IP packets of one flow, reassembles TCP
(tcp.py), recognises the protocol by content and hands the bytes to its parser: HTTP/1.x
(http1.py framing, http.py transactions, body.py decoding and hashing, magic.py file kinds),
HTTP/2 in clear text, with prior knowledge or upgraded from HTTP/1.1 (http2.py), DNS (dns.py),
the TLS ClientHello (tls.py), clear-text sign-ins (creds.py for HTTP, mail.py for
FTP/POP3/IMAP/SMTP, telnet.py), and files copied over SMB (smb.py). Caps on memory are module constants in each.
"""

from lanward.engine.applayer.flow import FlowParser

__all__ = ["FlowParser"]
