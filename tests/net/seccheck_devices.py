"""Test devices for the security check: weak home devices, their hardened twins, in namespaces.

Run inside a device namespace (`ip netns exec NS python seccheck_devices.py SPEC_JSON`), this
file is a device: it serves the services its SPEC lists, counts every login attempt it receives
(and every connection), and writes the counts to SPEC["counts"] after each one. It writes
SPEC["ready"] once every port is bound. Real servers where a library has one: FTP is pyftpdlib,
SSH is asyncssh; HTTP is the standard library's http.server; Telnet and RTSP are small
line-oriented servers that speak the protocol (Telnet option negotiation, RTSP Digest checked
against the URI the client signed).

In the test process, `SecLan` builds the LAN (tests/net/netns.py), starts the devices listed by
`weak_devices()` / `hardened_devices()` / `cve_devices()`, and runs coroutines inside the LAN's
namespace (`run_in_lan`), where the scanner sees the devices as a station on the LAN would.
"""

from __future__ import annotations

import asyncio
import base64
import ctypes
import datetime
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import netns  # noqa: E402

SUBNET = "192.168.77.0/24"
STATION_IP = "192.168.77.1"
STRONG = "Vq7!rT2#mZ9pL4xW"  # the hardened twins' password: on no list

# --- The catalogue ----------------------------------------------------------------------------


def weak_devices() -> list[dict[str, Any]]:
    """One weakness each (the camera has three), as the issue lists them."""
    return [
        {
            "name": "camera",
            "ip": "192.168.77.10",
            "mac": "c0:56:e3:00:00:10",
            "services": [
                {
                    "type": "http_basic",
                    "port": 80,
                    "user": "admin",
                    "password": "admin",
                    "realm": "IP Camera",
                    "title": "IP Camera Web Viewer",
                },
                {
                    "type": "http_basic",
                    "port": 443,
                    "tls": "old",
                    "user": "admin",
                    "password": "admin",
                    "realm": "IP Camera",
                    "title": "IP Camera Web Viewer",
                },
                {"type": "rtsp", "port": 554, "auth": "none"},
            ],
        },
        {
            "name": "router",
            "ip": "192.168.77.11",
            "mac": "5c:f4:ab:00:00:11",
            "services": [
                {
                    "type": "http_form",
                    "port": 80,
                    "user": "admin",
                    "password": "1234",
                    "title": "ZyXEL NBG6515 - Web Configurator",
                },
                {
                    "type": "ssdp",
                    "manufacturer": "ZyXEL Communications Corp.",
                    "model": "NBG6515",
                    "firmware": "V1.00(AAXN.7)C0",
                },
            ],
        },
        {
            "name": "nas-ftp",
            "ip": "192.168.77.12",
            "mac": "00:11:32:00:00:12",
            "services": [
                {"type": "ftp", "port": 21, "anonymous": True, "user": "media", "password": STRONG}
            ],
        },
        {
            "name": "dvr-telnet",
            "ip": "192.168.77.13",
            "mac": "00:12:34:00:00:13",
            "services": [{"type": "telnet", "port": 23, "user": "root", "password": "juantech"}],
        },
        {
            "name": "pi-ssh",
            "ip": "192.168.77.14",
            "mac": "b8:27:eb:00:00:14",
            "services": [{"type": "ssh", "port": 22, "user": "admin", "password": "letmein"}],
        },
        {
            "name": "cam-rtsp",
            "ip": "192.168.77.15",
            "mac": "c0:56:e3:00:00:15",
            "services": [
                {
                    "type": "rtsp",
                    "port": 554,
                    "auth": "digest",
                    "user": "admin",
                    "password": "12345",
                    "realm": "IP Camera",
                }
            ],
        },
    ]


def hardened_devices() -> list[dict[str, Any]]:
    """The same devices done right: strong passwords, no anonymous, auth required, HTTPS."""
    return [
        {
            "name": "camera-hard",
            "ip": "192.168.77.20",
            "mac": "c0:56:e3:00:00:20",
            "services": [
                {
                    "type": "http_basic",
                    "port": 443,
                    "tls": "modern",
                    "user": "admin",
                    "password": STRONG,
                    "realm": "IP Camera",
                    "title": "IP Camera Web Viewer",
                },
                {
                    "type": "rtsp",
                    "port": 554,
                    "auth": "digest",
                    "user": "admin",
                    "password": STRONG,
                    "realm": "IP Camera",
                },
            ],
        },
        {
            "name": "router-hard",
            "ip": "192.168.77.21",
            "mac": "5c:f4:ab:00:00:21",
            "services": [
                {
                    "type": "http_form",
                    "port": 443,
                    "tls": "modern",
                    "user": "admin",
                    "password": STRONG,
                    "title": "ZyXEL NBG6515 - Web Configurator",
                }
            ],
        },
        {
            "name": "nas-ftp-hard",
            "ip": "192.168.77.22",
            "mac": "00:11:32:00:00:22",
            "services": [
                {"type": "ftp", "port": 21, "anonymous": False, "user": "media", "password": STRONG}
            ],
        },
        {
            "name": "dvr-telnet-hard",
            "ip": "192.168.77.23",
            "mac": "00:12:34:00:00:23",
            "services": [{"type": "telnet", "port": 23, "user": "root", "password": STRONG}],
        },
        {
            "name": "pi-ssh-hard",
            "ip": "192.168.77.24",
            "mac": "b8:27:eb:00:00:24",
            "services": [{"type": "ssh", "port": 22, "user": "admin", "password": STRONG}],
        },
    ]


def cve_devices() -> list[dict[str, Any]]:
    """Banners of versions with known CVEs, and a twin on current versions."""
    return [
        {
            "name": "old-nas",
            "ip": "192.168.77.30",
            "mac": "00:11:32:00:00:30",
            "services": [
                {
                    "type": "ftp",
                    "port": 21,
                    "anonymous": False,
                    "user": "media",
                    "password": STRONG,
                    "banner": "(vsFTPd 2.3.4)",
                },
                {"type": "http_page", "port": 80, "server": "lighttpd/1.4.35", "title": "NAS"},
            ],
        },
        {
            "name": "new-nas",
            "ip": "192.168.77.31",
            "mac": "00:11:32:00:00:31",
            "services": [
                {
                    "type": "ftp",
                    "port": 21,
                    "anonymous": False,
                    "user": "media",
                    "password": STRONG,
                    "banner": "(vsFTPd 3.0.5)",
                },
                {"type": "http_page", "port": 80, "server": "lighttpd/1.4.76", "title": "NAS"},
            ],
        },
    ]


def iot_devices() -> list[dict[str, Any]]:
    """Debian's mosquitto and snmpd as the MQTT broker and SNMP agent (when installed)."""
    return [
        {
            "name": "broker",
            "ip": "192.168.77.50",
            "mac": "02:00:00:00:00:50",
            "services": [
                {
                    "type": "mosquitto",
                    "port": 1883,
                    "anonymous": False,
                    "user": "admin",
                    "password": "password",
                }
            ],
        },
        {
            "name": "broker-open",
            "ip": "192.168.77.51",
            "mac": "02:00:00:00:00:51",
            "services": [
                {
                    "type": "mosquitto",
                    "port": 1883,
                    "anonymous": True,
                    "user": "admin",
                    "password": STRONG,
                }
            ],
        },
        {
            "name": "snmp-agent",
            "ip": "192.168.77.52",
            "mac": "02:00:00:00:00:52",
            "services": [{"type": "snmpd", "password": "public"}],
        },
        {
            "name": "snmp-hard",
            "ip": "192.168.77.53",
            "mac": "02:00:00:00:00:53",
            "services": [{"type": "snmpd", "password": "Xr8-community-9qL"}],
        },
    ]


def smb_devices() -> list[dict[str, Any]]:
    """Debian's smbd as a NAS that still takes SMBv1 (NT1), and a twin on samba's default minimum."""
    return [
        {
            "name": "nas-smb1",
            "ip": "192.168.77.60",
            "mac": "00:11:32:00:00:60",
            "services": [{"type": "smbd", "port": 445, "min_protocol": "NT1"}],
        },
        {
            "name": "nas-smb2",
            "ip": "192.168.77.61",
            "mac": "00:11:32:00:00:61",
            "services": [{"type": "smbd", "port": 445}],
        },
    ]


def daemon(svc: dict[str, Any], spec: dict[str, Any]) -> subprocess.Popen[bytes]:
    """mosquitto, snmpd or smbd, configured for this device, as a child of the device process."""
    base = Path(spec["work"]) / f"{spec['name']}-{svc['type']}"
    base.mkdir(exist_ok=True)
    log = (base / "log").open("wb")
    preexec: Callable[[], None] | None = None
    if svc["type"] == "mosquitto":
        passwords = base / "passwd"
        subprocess.run(
            ["mosquitto_passwd", "-b", "-c", str(passwords), svc["user"], svc["password"]],
            check=True,
            capture_output=True,
        )
        conf = base / "mosquitto.conf"
        conf.write_text(
            f"user root\nlistener {svc['port']} 0.0.0.0\n"
            f"allow_anonymous {'true' if svc['anonymous'] else 'false'}\n"
            f"password_file {passwords}\npersistence false\nlog_dest stderr\n"
        )
        argv = ["mosquitto", "-c", str(conf)]
    elif svc["type"] == "smbd":
        conf = smbd_conf(svc, spec, base)
        argv = [
            shutil.which("smbd") or "/usr/sbin/smbd",
            "--foreground",
            "--no-process-group",
            f"--configfile={conf}",
            f"--log-basename={base}",
        ]
        preexec = die_with_parent
    else:
        conf = base / "snmpd.conf"
        conf.write_text(
            "agentaddress udp:0.0.0.0:161\n"
            f"rocommunity {svc['password']} default\n"
            "sysDescr Linux ipcam 4.9.37 armv7l\n"
        )
        argv = ["snmpd", "-f", "-Lo", "-C", "-c", str(conf)]
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec)


def smbd_conf(svc: dict[str, Any], spec: dict[str, Any], base: Path) -> Path:
    """An smb.conf whose every directory is under `base`: one read-only guest share, port 445
    on the device's address only, no NetBIOS; `min_protocol` NT1 turns SMBv1 back on."""
    for sub in ("private", "lock", "state", "cache", "pid", "ncalrpc", "binddns", "share"):
        (base / sub).mkdir(exist_ok=True)
    (base / "share" / "readme.txt").write_text("shared files\n")
    minimum = f"server min protocol = {svc['min_protocol']}\n" if svc.get("min_protocol") else ""
    conf = base / "smb.conf"
    conf.write_text(
        "[global]\nserver role = standalone server\nworkgroup = HOME\n"
        f"netbios name = {spec['name'][:15]}\n"
        f"interfaces = {spec['ip']}/24\nbind interfaces only = yes\n"
        f"smb ports = {svc['port']}\ndisable netbios = yes\n{minimum}"
        f"private dir = {base}/private\nlock directory = {base}/lock\n"
        f"state directory = {base}/state\ncache directory = {base}/cache\n"
        f"pid directory = {base}/pid\nncalrpc dir = {base}/ncalrpc\n"
        f"binddns dir = {base}/binddns\nlog file = {base}/log.smbd\nmax log size = 0\n"
        f"passdb backend = tdbsam:{base}/private/passdb.tdb\nusershare path =\n"
        "load printers = no\nprinting = bsd\nprintcap name = /dev/null\n"
        "disable spoolss = yes\nmap to guest = Bad User\n"
        # The work dir is 0700: the guest (nobody) reads the share as root, as many NAS do.
        f"[media]\npath = {base}/share\nread only = yes\nguest ok = yes\nforce user = root\n"
    )
    return conf


def die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the device process dies, however it dies."""
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def wait_listening(port: int, children: list[subprocess.Popen[bytes]], timeout: float) -> None:
    """Until a TCP socket in this namespace listens on `port`; raise if a child daemon died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                return
        dead = [c.args for c in children if c.poll() is not None]
        if dead:
            raise RuntimeError(f"{dead} exited before listening on port {port}")
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f} s")


def secrets_of(devices: list[dict[str, Any]]) -> set[str]:
    """Every password the devices accept (to check none of them leaks into results or logs)."""
    return {s["password"] for d in devices for s in d["services"] if s.get("password")}


# --- Being a device (inside its namespace) ----------------------------------------------------


class Counts:
    def __init__(self, path: str) -> None:
        self.path = path
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.write()

    def add(self, key: str) -> None:
        with self.lock:
            self.counts[key] += 1
            self.write()

    def write(self) -> None:
        tmp = f"{self.path}.tmp"
        with open(tmp, "w") as fh:
            json.dump(dict(self.counts), fh)
        os.replace(tmp, self.path)


def self_signed(work: str, name: str) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = f"{work}/{name}.crt", f"{work}/{name}.key"
    Path(cert_path).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    Path(key_path).write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls(work: str, name: str, mode: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*self_signed(work, name))
    if mode == "old":  # an old camera: still takes TLS 1.0
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def http_handler(svc: dict[str, Any], counts: Counts) -> type[BaseHTTPRequestHandler]:
    title = svc.get("title", "Device")
    good = base64.b64encode(f"{svc.get('user')}:{svc.get('password')}".encode()).decode()
    sessions: set[str] = set()
    login_page = (
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
        '<form method="post" action="/cgi-bin/login.cgi">'
        '<input type="hidden" name="token" value="{token}">'
        'User <input type="text" name="username"> Password <input type="password" name="password">'
        '<input type="submit" value="Login"></form>{message}</body></html>'
    )

    class Handler(BaseHTTPRequestHandler):
        server_version = svc.get("server", "httpd")
        sys_version = ""
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def reply(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
            raw = body.encode()
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:  # noqa: N802
            counts.add(f"{svc['port']}/requests")
            kind = svc["type"]
            if kind == "http_basic":
                auth = self.headers.get("Authorization")
                if auth is None:
                    self.reply(
                        401,
                        "<h1>401 Unauthorized</h1>",
                        {"WWW-Authenticate": f'Basic realm="{svc["realm"]}"'},
                    )
                    return
                counts.add("http")
                if auth == f"Basic {good}":
                    self.reply(
                        200,
                        f"<html><head><title>{title}</title></head><body>live view</body></html>",
                    )
                else:
                    self.reply(
                        401,
                        "<h1>401 Unauthorized</h1>",
                        {"WWW-Authenticate": f'Basic realm="{svc["realm"]}"'},
                    )
            elif kind == "http_form":
                if self.path.startswith("/status.html") and any(
                    f"sid={s}" in (self.headers.get("Cookie") or "") for s in sessions
                ):
                    self.reply(200, "<html><title>Status</title><body>WAN: up</body></html>")
                    return
                self.reply(
                    200,
                    login_page.replace("{token}", secrets.token_hex(8)).replace("{message}", ""),
                )
            else:
                self.reply(
                    200, f"<html><head><title>{title}</title></head><body>files</body></html>"
                )

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(
                p.split("=", 1) for p in self.rfile.read(length).decode().split("&") if "=" in p
            )
            if svc["type"] != "http_form" or self.path != "/cgi-bin/login.cgi":
                self.reply(404, "not found")
                return
            counts.add("http")
            from urllib.parse import unquote_plus

            if (unquote_plus(form.get("username", "")), unquote_plus(form.get("password", ""))) == (
                svc["user"],
                svc["password"],
            ) and form.get("token"):
                sid = secrets.token_hex(8)
                sessions.add(sid)
                self.reply(
                    302, "", {"Location": "/status.html", "Set-Cookie": f"sid={sid}; HttpOnly"}
                )
            else:
                message = "<p class=err>Invalid username or password</p>"
                self.reply(
                    200,
                    login_page.replace("{token}", secrets.token_hex(8)).replace(
                        "{message}", message
                    ),
                )

    return Handler


class _ThreadingTCP(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


IAC, WILL, DO = 255, 251, 253


def telnet_handler(svc: dict[str, Any], counts: Counts) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def readline(self) -> str:
            """A line ended by CR LF, CR NUL (RFC 854) or LF; option commands skipped."""
            line = b""
            while True:
                b = self.rfile.read(1)
                if not b:
                    raise EOFError
                if b[0] == IAC:  # the client's answer to our options: skip it
                    cmd = self.rfile.read(1)
                    if cmd and cmd[0] in (251, 252, 253, 254):
                        self.rfile.read(1)
                    elif cmd and cmd[0] == 250:  # subnegotiation, up to IAC SE
                        while self.rfile.read(1) not in (b"\xf0", b""):
                            pass
                    continue
                if b == b"\r":
                    self.rfile.read(1)  # the LF or NUL that follows a CR
                    break
                if b == b"\n":
                    break
                line += b
            return line.decode("utf-8", "replace")

        def handle(self) -> None:
            counts.add(f"{svc['port']}/connections")
            self.request.settimeout(10)
            try:
                # As telnetd does: options first, the prompt once the client had time to answer.
                self.wfile.write(bytes([IAC, WILL, 1, IAC, WILL, 3, IAC, DO, 31]))
                time.sleep(0.1)
                self.wfile.write(b"\r\n(none) login: ")
                tries = 0
                while tries < 3:
                    user = self.readline()
                    if not user:  # an empty line: login asks again, as BusyBox does
                        self.wfile.write(b"(none) login: ")
                        continue
                    tries += 1
                    self.wfile.write(b"Password: ")
                    password = self.readline()
                    counts.add("telnet")
                    time.sleep(0.05)
                    if (user, password) == (svc["user"], svc["password"]):
                        self.wfile.write(
                            b"\r\n\r\nBusyBox v1.22.1 (2017-03-01) built-in shell (ash)\r\n\r\n# "
                        )
                        self.readline()
                        return
                    self.wfile.write(b"\r\nLogin incorrect\r\n(none) login: ")
            except (EOFError, OSError):
                return

    return Handler


def rtsp_handler(svc: dict[str, Any], counts: Counts) -> type[socketserver.StreamRequestHandler]:
    realm = svc.get("realm", "IP Camera")

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - RTSP Digest is MD5

    def digest_ok(method: str, header: str, nonce: str) -> bool:
        params = {
            k.lower(): a or b
            for k, a, b in re.findall(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))', header)
        }
        if params.get("username") != svc["user"] or params.get("nonce") != nonce:
            return False
        ha1 = md5(f"{svc['user']}:{realm}:{svc['password']}")
        ha2 = md5(f"{method}:{params.get('uri', '')}")
        if params.get("qop") == "auth":
            want = md5(f"{ha1}:{nonce}:{params.get('nc')}:{params.get('cnonce')}:auth:{ha2}")
        else:
            want = md5(f"{ha1}:{nonce}:{ha2}")
        return params.get("response") == want

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            counts.add(f"{svc['port']}/connections")
            self.request.settimeout(10)
            nonce = secrets.token_hex(16)
            try:
                while True:
                    lines = []
                    while True:
                        line = self.rfile.readline()
                        if not line:
                            return
                        if line in (b"\r\n", b"\n"):
                            break
                        lines.append(line.decode("latin-1").strip())
                    if not lines:
                        continue
                    method = lines[0].split(" ", 1)[0]
                    headers = {
                        k.strip().lower(): v.strip()
                        for k, _, v in (h.partition(":") for h in lines[1:])
                    }
                    cseq = headers.get("cseq", "1")
                    head = f"CSeq: {cseq}\r\nServer: Hipcam RealServer/V1.0\r\n"
                    if method == "OPTIONS":
                        self.wfile.write(
                            f"RTSP/1.0 200 OK\r\n{head}Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n".encode()
                        )
                        continue
                    if method != "DESCRIBE":
                        self.wfile.write(f"RTSP/1.0 405 Method Not Allowed\r\n{head}\r\n".encode())
                        continue
                    auth = headers.get("authorization")
                    ok = svc["auth"] == "none"
                    if not ok and auth:
                        counts.add("rtsp")
                        if auth.startswith("Digest "):
                            ok = digest_ok(method, auth, nonce)
                        elif auth.startswith("Basic ") and svc["auth"] == "basic":
                            ok = (
                                base64.b64decode(auth[6:]).decode()
                                == f"{svc['user']}:{svc['password']}"
                            )
                    if ok:
                        sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=Live\r\nm=video 0 RTP/AVP 96\r\n"
                        self.wfile.write(
                            f"RTSP/1.0 200 OK\r\n{head}Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}".encode()
                        )
                    else:
                        challenge = (
                            f'Digest realm="{realm}", nonce="{nonce}"'
                            if svc["auth"] == "digest"
                            else f'Basic realm="{realm}"'
                        )
                        self.wfile.write(
                            f"RTSP/1.0 401 Unauthorized\r\n{head}WWW-Authenticate: {challenge}\r\n\r\n".encode()
                        )
            except OSError:
                return

    return Handler


def ftp_server(svc: dict[str, Any], counts: Counts, work: str) -> Any:
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import ThreadedFTPServer

    share = Path(work) / f"share-{svc['port']}-{os.getpid()}"
    share.mkdir(exist_ok=True)
    (share / "readme.txt").write_text("shared files\n")
    authorizer = DummyAuthorizer()
    authorizer.add_user(svc["user"], svc["password"], str(share), perm="elr")
    if svc.get("anonymous"):
        authorizer.add_anonymous(str(share))

    class Handler(FTPHandler):
        banner = svc.get("banner", "FTP server ready.")

        def on_connect(self) -> None:
            counts.add(f"{svc['port']}/connections")

        def on_login(self, username: str) -> None:
            counts.add("ftp")

        def on_login_failed(self, username: str, password: str) -> None:
            counts.add("ftp")

    Handler.authorizer = authorizer
    Handler.auth_failed_timeout = 0.05
    return ThreadedFTPServer(("0.0.0.0", svc["port"]), Handler)  # noqa: S104 - its namespace


async def ssh_server(svc: dict[str, Any], counts: Counts) -> Any:
    import asyncssh

    class Server(asyncssh.SSHServer):
        def connection_made(self, conn: Any) -> None:
            counts.add(f"{svc['port']}/connections")

        def begin_auth(self, username: str) -> bool:
            return True

        def password_auth_supported(self) -> bool:
            return True

        def validate_password(self, username: str, password: str) -> bool:
            counts.add("ssh")
            return (username, password) == (svc["user"], svc["password"])

    key = asyncssh.generate_private_key("ssh-ed25519")
    return await asyncssh.create_server(
        Server,
        "0.0.0.0",
        svc["port"],
        server_host_keys=[key],
        process_factory=lambda p: p.exit(0),  # noqa: S104
    )


def ssdp_responder(svc: dict[str, Any], spec: dict[str, Any]) -> None:
    """Answers M-SEARCH on UDP 1900 and serves its description on TCP 49152."""
    import socket

    desc = (
        '<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device>'
        "<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>"
        f"<friendlyName>{svc['model']}</friendlyName><manufacturer>{svc['manufacturer']}</manufacturer>"
        f"<modelName>{svc['model']}</modelName><modelNumber>{svc['model']}</modelNumber>"
        f"<firmwareVersion>{svc['firmware']}</firmwareVersion></device></root>"
    )

    class Desc(BaseHTTPRequestHandler):
        server_version = "Linux/3.10 UPnP/1.0 miniupnpd/2.1"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            raw = desc.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    httpd = ThreadingHTTPServer(("0.0.0.0", 49152), Desc)  # noqa: S104
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", 1900))  # noqa: S104

    def answer() -> None:
        while True:
            data, peer = udp.recvfrom(2048)
            if data.startswith(b"M-SEARCH"):
                udp.sendto(
                    (
                        "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
                        f"LOCATION: http://{spec['ip']}:49152/rootDesc.xml\r\n"
                        "SERVER: Linux/3.10 UPnP/1.0 miniupnpd/2.1\r\nST: upnp:rootdevice\r\n"
                        f"USN: uuid:{spec['name']}::upnp:rootdevice\r\n\r\n"
                    ).encode(),
                    peer,
                )

    threading.Thread(target=answer, daemon=True).start()


def be_device(spec: dict[str, Any]) -> None:
    counts = Counts(spec["counts"])
    work = spec["work"]
    ssh_specs = []
    children: list[subprocess.Popen[bytes]] = []

    def stop(*_: Any) -> None:
        for child in children:
            child.kill()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    for svc in spec["services"]:
        kind = svc["type"]
        if kind.startswith("http"):
            httpd = ThreadingHTTPServer(("0.0.0.0", svc["port"]), http_handler(svc, counts))  # noqa: S104
            if svc.get("tls"):
                ctx = server_tls(work, f"{spec['name']}-{svc['port']}", svc["tls"])
                httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
            threading.Thread(target=httpd.serve_forever, daemon=True).start()
        elif kind == "telnet":
            server = _ThreadingTCP(("0.0.0.0", svc["port"]), telnet_handler(svc, counts))  # noqa: S104
            threading.Thread(target=server.serve_forever, daemon=True).start()
        elif kind == "rtsp":
            server = _ThreadingTCP(("0.0.0.0", svc["port"]), rtsp_handler(svc, counts))  # noqa: S104
            threading.Thread(target=server.serve_forever, daemon=True).start()
        elif kind == "ftp":
            ftpd = ftp_server(svc, counts, work)
            threading.Thread(
                target=ftpd.serve_forever, kwargs={"handle_exit": False}, daemon=True
            ).start()
        elif kind == "ssdp":
            ssdp_responder(svc, spec)
        elif kind == "ssh":
            ssh_specs.append(svc)
        elif kind in ("mosquitto", "snmpd", "smbd"):
            children.append(daemon(svc, spec))
    for svc in spec["services"]:
        if svc["type"] == "smbd":
            wait_listening(svc["port"], children, timeout=30)

    async def main() -> None:
        for svc in ssh_specs:
            await ssh_server(svc, counts)
        await asyncio.sleep(0.5 if children else 0)  # let mosquitto/snmpd bind
        Path(spec["ready"]).write_text("ready")
        await asyncio.Event().wait()

    asyncio.run(main())


# --- Building the LAN (in the test process, as root) ------------------------------------------


@dataclass
class SecLan:
    devices: list[dict[str, Any]]
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lw-seccheck-")))
    lan: netns.Lan = field(default_factory=netns.Lan)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, timeout: float = 30) -> None:
        self.lan.create()
        netns.ip("-n", self.lan.ns, "addr", "add", f"{STATION_IP}/24", "dev", netns.BRIDGE)
        for spec in self.devices:
            self.lan.add_device(spec)
        for dev in self.lan.devices:
            self.launch(dev.spec["name"])
        deadline = time.monotonic() + timeout
        for spec in self.devices:
            ready = self.work / f"{spec['name']}.ready"
            while not ready.exists():
                proc = self.procs[spec["name"]]
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (self.work / f"{spec['name']}.log").read_text(errors="replace")
                    raise RuntimeError(f"test device {spec['name']} did not start:\n{log[-3000:]}")
                time.sleep(0.05)

    def launch(self, name: str) -> None:
        dev = next(d for d in self.lan.devices if d.spec["name"] == name)
        spec = {
            **dev.spec,
            "work": str(self.work),
            "counts": str(self.work / f"{name}.counts.json"),
            "ready": str(self.work / f"{name}.ready"),
        }
        with (self.work / f"{name}.log").open("ab") as log:
            self.procs[name] = self.lan.popen(
                dev.ns,
                [sys.executable, __file__, json.dumps(spec)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def ns_of(self, name: str) -> str:
        return next(d.ns for d in self.lan.devices if d.spec["name"] == name)

    def ip_of(self, name: str) -> str:
        return str(next(d for d in self.devices if d["name"] == name)["ip"])

    def counts(self, name: str) -> dict[str, int]:
        path = self.work / f"{name}.counts.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def logins(self, name: str) -> int:
        """Login attempts the device received, all services together."""
        return sum(v for k, v in self.counts(name).items() if "/" not in k)

    def connections(self, name: str) -> int:
        return sum(v for k, v in self.counts(name).items() if "/" in k)

    def kill(self, name: str) -> None:
        """The device disappears: its servers die and its link goes down."""
        proc = self.procs.get(name)
        if proc is not None:
            proc.kill()
            proc.wait(timeout=10)
        netns.ip("-n", self.ns_of(name), "link", "set", "eth0", "down", check=False)

    def destroy(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        self.lan.destroy()
        import shutil

        shutil.rmtree(self.work, ignore_errors=True)

    def run_in_lan(self, make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        """Run a coroutine on a fresh event loop in a thread that lives in the LAN namespace."""
        result: list[Any] = []

        def run() -> None:
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                with open(f"/run/netns/{self.lan.ns}") as fh:
                    if libc.setns(fh.fileno(), netns.CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), "setns failed")
                result.append(asyncio.run(make()))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                result.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        if isinstance(result[0], BaseException):
            raise result[0]
        return result[0]

    def exec_in_lan(
        self, argv: list[str], timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ip", "netns", "exec", self.lan.ns, *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.work,  # hydra leaves a restore file in its working directory
        )


if __name__ == "__main__":
    be_device(json.loads(sys.argv[1]))
