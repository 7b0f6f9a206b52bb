"""Files copied over SMB -> SmbTransaction, hashed, for rules and the dangerous-file detector.

The sessions are real: samba's smbclient copies files to and from Debian's smbd (on loopback, a
free port, shares in a temporary folder) through a relay that records both directions in order
(relay.py); the recording is then played to a FlowParser as TCP packets. The oracle is the files
themselves, hashed with hashlib: what smbclient sent and what smbd stored or served. Sessions in
SMB3 (what samba chooses when SMB2 and up are allowed) and in SMB1 (NT1 on both sides); a share
that requires encryption gives no file and no error. Suricata's own SMB captures
(suricata-verify) carry the EICAR file through the evasions their READMEs list: an AndX chain
whose data lies after its CLOSE, padding before the data, a message cut after its header or in
random pieces, two messages in one segment.
"""

from __future__ import annotations

import ctypes
import dataclasses
import hashlib
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanward.engine.applayer import FlowParser, smb
from lanward.engine.applayer.smb import SmbParser
from lanward.engine.detect.feeds import parse_feed
from lanward.engine.events import FlowKey, SmbTransaction
from lanward.engine.pipeline import Engine, EngineConfig
from lanward.engine.rules import FlowStates, RuleSet
from tests.engine.applayer.build import (
    CLIENT_MAC,
    EICAR,
    EICAR_SHA256,
    SERVER_MAC,
    Conversation,
    feed,
    shuffled_data,
)
from tests.engine.applayer.pcaps import run_pcap
from tests.engine.applayer.relay import Relay, edited
from tests.ndpi_corpus import CORPUS

VERIFY = CORPUS / "suricata-verify" / "tests"
INSTALL = "bash scripts/test-services.sh installs it"
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + random.Random(1).randbytes(600_000)
BIG = random.Random(2).randbytes(3_000_000)  # many messages longer than smb.HEAD_LIMIT
COMPOUND = random.Random(6).randbytes(300_000)
SMB3 = ["--option=client min protocol=SMB2", "--option=client smb encrypt=off"]
SMB1 = ["-m", "NT1", "--option=client min protocol=NT1", "--option=client max protocol=NT1"]
COPY = "put eicar.com; get photo.jpg; put big.bin"
PASSWORD = "lanward-test-1"
SHARE = "\\\\127.0.0.1\\share"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the real peers ------------------------------------------------------------------------


def _program(name: str) -> str | None:
    path = shutil.which(name) or f"/usr/sbin/{name}"
    return path if Path(path).is_file() else None


def _die_with_parent() -> None:
    """In smbd before exec: SIGKILL it if the test process dies without stopping it."""
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass
class Samba:
    port: int
    work: Path
    share: Path  # the guest share's folder
    sealed: Path  # a share that requires encryption (a signed-in user)
    local: Path  # the client's folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def samba(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Samba]:
    smbd, smbpasswd = _program("smbd"), _program("smbpasswd")
    if smbd is None or smbpasswd is None:
        pytest.skip(f"Debian's samba (smbd) is not installed: {INSTALL}")
    if _program("smbclient") is None:
        pytest.skip(f"Debian's smbclient is not installed: {INSTALL}")
    if os.geteuid() != 0:
        pytest.skip("smbd serves the test shares as root (force user = root): run as root")
    work = tmp_path_factory.mktemp("samba")
    for sub in ("private", "lock", "state", "cache", "pid", "ncalrpc", "binddns"):
        (work / sub).mkdir()
    samba = Samba(_free_port(), work, work / "share", work / "sealed", work / "local")
    for folder in (samba.share, samba.sealed, samba.local):
        folder.mkdir()
    (samba.local / "eicar.com").write_bytes(EICAR)
    (samba.local / "big.bin").write_bytes(BIG)
    (samba.share / "photo.jpg").write_bytes(PHOTO)
    conf = work / "smb.conf"
    conf.write_text(
        "[global]\nserver role = standalone server\nworkgroup = HOME\nnetbios name = LANWARDNAS\n"
        f"interfaces = 127.0.0.1\nbind interfaces only = yes\nsmb ports = {samba.port}\n"
        "disable netbios = yes\nserver min protocol = NT1\n"
        + "".join(
            f"{name} = {work}/{sub}\n"
            for name, sub in (
                ("private dir", "private"),
                ("lock directory", "lock"),
                ("state directory", "state"),
                ("cache directory", "cache"),
                ("pid directory", "pid"),
                ("ncalrpc dir", "ncalrpc"),
                ("binddns dir", "binddns"),
            )
        )
        + f"log file = {work}/log.smbd\nmax log size = 0\n"
        f"passdb backend = tdbsam:{work}/private/passdb.tdb\nusershare path =\n"
        "load printers = no\nprinting = bsd\nprintcap name = /dev/null\n"
        "disable spoolss = yes\nmap to guest = Bad User\n"
        f"[share]\npath = {samba.share}\nread only = no\nguest ok = yes\nforce user = root\n"
        "smb encrypt = off\n"
        f"[sealed]\npath = {samba.sealed}\nread only = no\nvalid users = root\n"
        "smb encrypt = required\n"
    )
    subprocess.run(
        [smbpasswd, "-c", str(conf), "-s", "-a", "root"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        text=True,
        check=True,
        capture_output=True,
    )
    with (work / "smbd.out").open("wb") as log:
        proc = subprocess.Popen(
            [smbd, "--foreground", f"--configfile={conf}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", samba.port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"smbd did not start: {(work / 'smbd.out').read_text()}")
                time.sleep(0.1)
        yield samba
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def smbclient(samba: Samba, share: str, *args: str) -> list[tuple[bool, bytes]]:
    """Run smbclient against the share through a recording relay; the recording."""
    relay = Relay(samba.port)
    done = subprocess.run(
        ["smbclient", f"//127.0.0.1/{share}", "-p", str(relay.port), *args],
        cwd=samba.local,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return relay.join()


def copied(samba: Samba, args: list[str]) -> list[tuple[bool, bytes]]:
    """eicar.com and big.bin put on the share, photo.jpg fetched from it, in one session."""
    for name in ("eicar.com", "big.bin"):
        (samba.share / name).unlink(missing_ok=True)
    (samba.local / "photo.jpg").unlink(missing_ok=True)
    chunks = smbclient(samba, "share", "-N", *args, "-c", COPY)
    # What the server stored and the client received: the same files.
    assert (samba.share / "eicar.com").read_bytes() == EICAR
    assert (samba.share / "big.bin").read_bytes() == BIG
    assert (samba.local / "photo.jpg").read_bytes() == PHOTO
    return chunks


@pytest.fixture(scope="module")
def smb3_session(samba: Samba) -> list[tuple[bool, bytes]]:
    return copied(samba, SMB3)


@pytest.fixture(scope="module")
def smb1_session(samba: Samba) -> list[tuple[bool, bytes]]:
    return copied(samba, SMB1)


def conversation(
    chunks: list[tuple[bool, bytes]], mss: int = 1400, port: int = 445
) -> Conversation:
    c = Conversation(client_port=41000, server_port=port).handshake()
    for to_server, data in chunks:
        c.send(to_server, data, mss=mss)
    return c.finish()


def transfers(events: list) -> list[SmbTransaction]:
    return [e for e in events if isinstance(e, SmbTransaction)]


def summary(events: list) -> list[tuple[str, str, int, str, str, bool]]:
    return [
        (e.share, f.name, f.size, f.sha256, f.direction, f.complete)
        for e in transfers(events)
        for f in e.files
    ]


def expected(share: str) -> list[tuple[str, str, int, str, str, bool]]:
    return [
        (share, "eicar.com", len(EICAR), EICAR_SHA256, "to_server", True),
        (share, "photo.jpg", len(PHOTO), sha256(PHOTO), "to_client", True),
        (share, "big.bin", len(BIG), sha256(BIG), "to_server", True),
    ]


def messages(chunks: list[tuple[bool, bytes]]) -> list[tuple[bool, bytes]]:
    """The recording as whole session messages (header included), in the order each was
    complete: the interleaving of the two directions as the relay saw it."""
    buffers = {True: bytearray(), False: bytearray()}
    out = []
    for to_server, data in chunks:
        buf = buffers[to_server]
        buf += data
        while len(buf) >= 4 and len(buf) >= 4 + int.from_bytes(buf[1:4], "big"):
            size = 4 + int.from_bytes(buf[1:4], "big")
            out.append((to_server, bytes(buf[:size])))
            del buf[:size]
    assert not any(buffers.values())
    return out


# --- what comes out of a real session ------------------------------------------------------


def test_smb3_session_files(smb3_session: list[tuple[bool, bytes]]) -> None:
    c = conversation(smb3_session)
    events, parser = feed(c.key, c.packets)
    assert parser.protocol == "smb"
    assert summary(events) == expected(SHARE)
    eicar, photo, big = transfers(events)
    assert {e.protocol for e in (eicar, photo, big)} == {"smb3"}
    assert all(e.complete for e in (eicar, photo, big))
    assert eicar.body == (EICAR,) and eicar.files[0].magic == "EICAR test file"
    assert photo.body == (PHOTO[: smb.FILE_KEEP],) and photo.files[0].magic == "JPEG image"
    assert big.files[0].md5 == hashlib.md5(BIG).hexdigest()
    assert big.files[0].sha1 == hashlib.sha1(BIG).hexdigest()


def test_smb1_session_files(smb1_session: list[tuple[bool, bytes]]) -> None:
    c = conversation(smb1_session)
    events, _ = feed(c.key, c.packets)
    # smbclient names the share in capitals in SMB1's TREE_CONNECT_ANDX.
    assert summary(events) == expected("\\\\127.0.0.1\\SHARE")
    assert {e.protocol for e in transfers(events)} == {"smb1"}


def test_recognised_by_content_on_any_port(smb3_session: list[tuple[bool, bytes]]) -> None:
    c = conversation(smb3_session, port=8445)
    events, parser = feed(c.key, c.packets)
    assert parser.protocol == "smb"
    assert summary(events) == expected(SHARE)


def test_netbios_session_request_and_keepalives(smb1_session: list[tuple[bool, bytes]]) -> None:
    """Port 139: the client asks for a NetBIOS session first; keep-alives between messages."""
    request = b"\x81\x00\x00\x44" + b"\x20" + b"CKFDENECFDEFFCFGEFFCCACACACACACA" + b"\x00"
    request += b"\x20" + b"EMEBEOFHEBFCEEEDEMEJEFEOFECACAAA" + b"\x00"
    c = Conversation(client_port=41000, server_port=139).handshake()
    c.client(request).server(b"\x82\x00\x00\x00")
    for to_server, data in messages(smb1_session):
        c.send(to_server, b"\x85\x00\x00\x00" + data)
    events, parser = feed(c.key, c.finish().packets)
    assert parser.protocol == "smb"
    assert summary(events) == expected("\\\\127.0.0.1\\SHARE")


def test_reordered_segments_give_the_same_files(smb3_session: list[tuple[bool, bytes]]) -> None:
    """The put of eicar.com in tiny segments, each side's run of segments in a random order."""
    chunks = []
    for to_server, data in messages(smb3_session):
        chunks.append((to_server, data))
        if not to_server and data[4:8] == b"\xfeSMB" and data[16] == 6:  # its CLOSE answer
            break
    c = conversation(chunks, mss=40)
    in_order, _ = feed(c.key, c.packets)
    assert summary(in_order) == expected(SHARE)[:1]
    for seed in range(5):
        shuffled, _ = feed(c.key, shuffled_data(c.packets, seed=seed))
        assert summary(shuffled) == summary(in_order)
        assert [e.body for e in transfers(shuffled)] == [(EICAR,)]


def test_reads_answered_out_of_order(smb1_session: list[tuple[bool, bytes]]) -> None:
    """smbclient pipelines READ_ANDX requests for photo.jpg; the server's answers, played in the
    reverse order within each run, still put the file together whole."""
    played, run, reversed_runs = [], [], 0
    for to_server, data in messages(smb1_session) + [(True, b"")]:
        if not to_server and data[4:8] == b"\xffSMB" and data[8] == 0x2E:
            run.append(data)
            continue
        reversed_runs += len(run) > 1
        played += [(False, m) for m in reversed(run)]
        run = []
        if data:
            played.append((to_server, data))
    assert reversed_runs, "smbclient pipelined no reads: nothing was reordered"
    c = conversation(played)
    events, _ = feed(c.key, c.packets)
    assert summary(events) == expected("\\\\127.0.0.1\\SHARE")


def test_pieces_out_of_order_and_overlapping() -> None:
    """The assembly by offset: pieces that overlap and come in any order hash as one file; the
    bytes seen first win where they overlap."""
    data = random.Random(3).randbytes(100_000)
    pieces = [(50_000, data[50_000:]), (20_000, data[20_000:60_000]), (0, data[:30_000])]
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0], [1, 0, 2]):
        transfer = smb._Transfer(1024)
        waiting = 0
        for i in order:
            offset, piece = pieces[i]
            waiting += transfer.add(offset, piece, smb.FLOW_WAITING - waiting)
        assert waiting == 0 and transfer.waiting == {}
        info = transfer.file("f", "to_server", 0, True)
        assert info is not None
        assert (info.size, info.sha256, info.complete) == (len(data), sha256(data), True)
    transfer = smb._Transfer(1024)
    transfer.add(0, data[:1000], smb.FLOW_WAITING)
    transfer.add(2000, data[2000:3000], smb.FLOW_WAITING)  # 1000..2000 never comes
    info = transfer.file("f", "to_server", 0, True)
    assert info is not None and (info.size, info.complete) == (3000, False)


def _drop(c: Conversation, to_server: bool, marker: bytes) -> Conversation:
    """The capture lost the data segment of this direction that carries the first byte of
    `marker` (found by its offset in the stream, wherever the segments were cut)."""
    sender = c.client_ip if to_server else c.server_ip
    mine = [p for p in c.packets if p["IP"].src == sender and len(p["TCP"].payload)]
    stream = b"".join(bytes(p["TCP"].payload) for p in mine)
    at = stream.index(marker) + mine[0]["TCP"].seq
    [lost] = [p for p in mine if p["TCP"].seq <= at < p["TCP"].seq + len(p["TCP"].payload)]
    c.packets.remove(lost)
    return c


def test_a_lost_segment_leaves_that_file_incomplete(
    smb3_session: list[tuple[bool, bytes]],
) -> None:
    """A segment in the middle of big.bin's data is lost: that file is incomplete (its size
    still the whole), and the files before and after it are not touched."""
    c = conversation(smb3_session)
    events, _ = feed(c.key, _drop(c, True, BIG[1_500_000:1_500_100]).packets)
    eicar, photo, big = summary(events)
    assert (eicar, photo) == tuple(expected(SHARE)[:2])
    assert big[1:3] == ("big.bin", len(BIG)) and big[3] != sha256(BIG) and not big[5]


def test_framing_is_found_again_after_a_lost_message(
    smb3_session: list[tuple[bool, bytes]],
) -> None:
    """The CREATE of photo.jpg is lost with its segment: the session is read on from the next
    message; the photo's bytes still hash right (the file is followed from its first READ, with
    no name), and big.bin, opened after, is named and whole."""
    c = conversation(smb3_session)
    events, _ = feed(c.key, _drop(c, True, "photo.jpg".encode("utf-16-le")).packets)
    assert summary(events) == [
        expected(SHARE)[0],
        (SHARE, "", len(PHOTO), sha256(PHOTO), "to_client", True),
        expected(SHARE)[2],
    ]


def test_a_capture_that_begins_in_the_middle_of_a_copy(
    smb3_session: list[tuple[bool, bytes]],
) -> None:
    """The capture starts inside the photo's READ answer: no handshake, no session setup, no
    TREE_CONNECT. Port 445 says SMB; the parser finds the next message, and big.bin, opened
    after, comes out whole (its share unknown)."""
    c = conversation(smb3_session)
    mine = [p for p in c.packets if p["IP"].src == c.server_ip and len(p["TCP"].payload)]
    stream = b"".join(bytes(p["TCP"].payload) for p in mine)
    at = stream.index(PHOTO[100_000:100_100]) + mine[0]["TCP"].seq
    first = next(p for p in mine if p["TCP"].seq <= at < p["TCP"].seq + len(p["TCP"].payload))
    events, parser = feed(c.key, c.packets[c.packets.index(first) :])
    assert parser.protocol == "smb"
    assert summary(events) == [("", "big.bin", len(BIG), sha256(BIG), "to_server", True)]


def test_an_unfinished_copy_is_reported_at_the_end_of_the_flow(
    smb3_session: list[tuple[bool, bytes]],
) -> None:
    """The capture ends in the middle of big.bin: the file is reported, incomplete."""
    c = Conversation(client_port=41000, server_port=445).handshake()
    stream = b""
    for to_server, data in smb3_session:
        c.send(to_server, data)
        stream += data if to_server else b""
        if to_server and BIG[:1000] in stream:
            break
    events, _ = feed(c.key, c.packets)
    *_, big = summary(events)
    assert big[1] == "big.bin" and big[4:] == ("to_server", False)


def test_compound_requests_with_related_operations(samba: Samba) -> None:
    """smbprotocol, a second real client, sends CREATE, WRITE and CLOSE as one compound of
    related operations, then CREATE, READ and CLOSE: the WRITE and READ name their file by the
    all-ones FileId, and each CLOSE follows 300 KB of data in the same message."""
    from smbprotocol.connection import Connection
    from smbprotocol.open import (
        CreateDisposition,
        CreateOptions,
        FileAttributes,
        ImpersonationLevel,
        Open,
        ShareAccess,
    )
    from smbprotocol.open import FilePipePrinterAccessMask as Access
    from smbprotocol.session import Session
    from smbprotocol.tree import TreeConnect

    relay = Relay(samba.port)
    connection = Connection(uuid.uuid4(), "127.0.0.1", relay.port)
    connection.connect()
    try:
        session = Session(connection, "root", PASSWORD, require_encryption=False)
        session.connect()
        tree = TreeConnect(session, SHARE)
        tree.connect()
        for disposition, access, operation in (
            (CreateDisposition.FILE_OVERWRITE_IF, Access.GENERIC_WRITE, "write"),
            (CreateDisposition.FILE_OPEN, Access.GENERIC_READ, "read"),
        ):
            file = Open(tree, "compound.bin")
            steps = [
                file.create(
                    ImpersonationLevel.Impersonation,
                    access,
                    FileAttributes.FILE_ATTRIBUTE_NORMAL,
                    ShareAccess.FILE_SHARE_READ,
                    disposition,
                    CreateOptions.FILE_NON_DIRECTORY_FILE,
                    send=False,
                ),
                file.write(COMPOUND, 0, send=False)
                if operation == "write"
                else file.read(0, len(COMPOUND), send=False),
                file.close(False, send=False),
            ]
            sent = connection.send_compound(
                [request for request, _ in steps],
                session.session_id,
                tree.tree_connect_id,
                related=True,
            )
            answers = [receive(request) for (_, receive), request in zip(steps, sent, strict=True)]
            if operation == "read":
                assert answers[1] == COMPOUND
        tree.disconnect()
        session.disconnect()
    finally:
        connection.disconnect()
    chunks = relay.join()
    assert (samba.share / "compound.bin").read_bytes() == COMPOUND
    compounds = [m for _, m in messages(chunks) if m[4:8] == b"\xfeSMB" and m[24:28] != b"\0" * 4]
    assert len(compounds) == 4  # two requests, two answers, each of three commands
    c = conversation(chunks)
    events, _ = feed(c.key, c.packets)
    assert summary(events) == [
        (SHARE, "compound.bin", len(COMPOUND), sha256(COMPOUND), "to_server", True),
        (SHARE, "compound.bin", len(COMPOUND), sha256(COMPOUND), "to_client", True),
    ]


def test_encrypted_session_gives_no_file_and_no_error(samba: Samba) -> None:
    (samba.sealed / "eicar.com").unlink(missing_ok=True)
    chunks = smbclient(
        samba, "sealed", "-U", f"root%{PASSWORD}", "--client-protection=encrypt", "-c", COPY[:15]
    )
    assert (samba.sealed / "eicar.com").read_bytes() == EICAR  # the file was copied ...
    assert any(to_server and b"\xfdSMB" in data for to_server, data in chunks)  # ... sealed
    c = conversation(chunks)
    events, parser = feed(c.key, c.packets)  # feed asserts the parser did not fail
    assert parser.protocol == "smb" and transfers(events) == []


# --- Suricata's captures -------------------------------------------------------------------

SURICATA_CASES = {
    "smb-eicar-file": "eicar",
    "smb-eicar-andx": "test.txt",  # LOCKING_ANDX, WRITE_ANDX, CLOSE; the data after the CLOSE
    "smb-eicar-file-nbss-more-ffsmb": "eicar",
    "smb-eicar-file-segmentation-postheader": "eicar",
    "smb-eicar-file-segmentation-random": "eicar",
    "smb-eicar-padding": "eicar",  # WRITE_ANDX's DataOffset past padding
}


@pytest.mark.parametrize("case", sorted(SURICATA_CASES))
def test_suricata_smb_captures(case: str) -> None:
    folder = VERIFY / case
    if not folder.is_dir():
        pytest.skip(f"no suricata-verify corpus at {VERIFY.resolve()}")
    [pcap] = folder.glob("*.pcap")
    run = run_pcap(pcap)
    assert run.failures == []
    [copy] = run.of(SmbTransaction)
    [file] = copy.files
    assert (copy.protocol, copy.complete, copy.body) == ("smb1", True, (EICAR,))
    assert (file.name, file.size, file.sha256, file.direction) == (
        SURICATA_CASES[case],
        len(EICAR),
        EICAR_SHA256,
        "to_server",
    )
    assert copy.share.startswith("\\\\") and copy.share.endswith(("\\PUBLIC", "\\CATENA"))


# --- detection -----------------------------------------------------------------------------


def _engine_alerts(chunks: list[tuple[bool, bytes]], config: EngineConfig) -> list[dict]:
    c = conversation(chunks)
    key = dataclasses.replace(c.key, src_mac=CLIENT_MAC, dst_mac=SERVER_MAC)
    events, _ = feed(key, c.packets)
    engine = Engine(config)
    for event in events:
        engine.app_event(event)
    return [a for a in engine.alerts if a["detector"] == "dangerous_file"]


def test_eicar_copied_to_a_share_is_a_dangerous_file_alert(
    smb3_session: list[tuple[bool, bytes]],
) -> None:
    [a] = _engine_alerts(smb3_session, EngineConfig())
    assert (a["severity"], a["mac"], a["app"]) == ("high", CLIENT_MAC, "SMB")
    evidence = a["evidence"]
    assert (evidence["share"], evidence["name"], evidence["direction"]) == (
        SHARE,
        "eicar.com",
        "to_server",
    )
    assert (evidence["sha256"], evidence["protocol"]) == (EICAR_SHA256, "smb3")
    assert (
        "192.168.1.20 copied the EICAR anti-virus test file (eicar.com) to the share "
        "\\\\127.0.0.1\\share." in a["summary"]
    )


def test_listed_file_read_from_a_share_is_critical(
    smb1_session: list[tuple[bool, bytes]],
) -> None:
    listed = parse_feed(sha256(PHOTO) + "\n", "malware-hashes.txt")
    alerts = _engine_alerts(smb1_session, EngineConfig(indicators=listed))
    [a] = [a for a in alerts if a["severity"] == "critical"]
    assert (a["app"], a["evidence"]["name"], a["evidence"]["direction"]) == (
        "SMB",
        "photo.jpg",
        "to_client",
    )
    assert "192.168.1.20 copied photo.jpg from the share \\\\127.0.0.1\\SHARE;" in a["summary"]
    assert a["evidence"]["matched_hash"] == "sha256"


def test_rules_see_smb_files(smb3_session: list[tuple[bool, bytes]]) -> None:
    """`alert smb` with file_data inspects each copied file on the side that sent it; a tcp rule
    with only file.data sees SMB files as HTTP bodies and mail attachments; an smtp or http rule
    does not."""
    eicar_hex = EICAR.hex()
    c = conversation(smb3_session)
    events, _ = feed(c.key, c.packets)
    rules = RuleSet()
    rules.add_text(
        # suricata-verify's smb-eicar rule, as it is
        f'alert smb any any -> any any (msg:"EICAR file"; flow:established; file_data; '
        f'content:"|{eicar_hex}|"; sid:1; rev:1;)\n'
        'alert smb any any -> any any (msg:"JPEG from a share"; flow:to_client; file.data; '
        'content:"JFIF"; offset:6; depth:4; sid:2;)\n'
        'alert tcp any any -> any any (msg:"EICAR anywhere"; file.data; content:"EICAR-STANDARD"; '
        "sid:3;)\n"
        'alert smb any any -> any any (msg:"EICAR read"; flow:to_client; file.data; '
        'content:"EICAR-STANDARD"; sid:4;)\n'
        'alert smtp any any -> any any (msg:"EICAR by mail"; file.data; content:"EICAR-STANDARD"; '
        "sid:5;)\n"
        'alert http any any -> any any (msg:"EICAR download"; file.data; '
        'content:"EICAR-STANDARD"; sid:6;)\n',
        "test.rules",
    )
    assert rules.report.files[0].loaded == 6
    flows = FlowStates()
    matched = [(m.rule.sid, e.files[0].name) for e in events for m in rules.match(e, flows)]
    assert sorted(matched) == [(1, "eicar.com"), (2, "photo.jpg"), (3, "eicar.com")]


# --- hostile input -------------------------------------------------------------------------

KEY = FlowKey("192.168.1.20", 41000, "192.168.1.1", 445, 6)


def _streams(chunks: list[tuple[bool, bytes]], limit: int) -> tuple[bytes, bytes]:
    return (
        b"".join(d for to_server, d in chunks if to_server)[:limit],
        b"".join(d for to_server, d in chunks if not to_server)[:limit],
    )


def _check(parser: SmbParser, events: list) -> None:
    for event in events:
        assert isinstance(event, SmbTransaction)
        assert len(event.files) == 1 and len(event.body) == 1
        assert len(event.body[0]) <= smb.FILE_KEEP
    assert 0 <= parser.waiting <= smb.FLOW_WAITING
    assert len(parser.opens) <= smb.MAX_OPENS and len(parser.pending) <= smb.MAX_PENDING


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.large_base_example],
)
@given(data=st.data())
def test_mutated_sessions_never_raise(
    smb3_session: list[tuple[bool, bytes]],
    smb1_session: list[tuple[bool, bytes]],
    data: st.DataObject,
) -> None:
    """The recorded bytes with random edits, in random pieces, with random losses."""
    session = data.draw(st.sampled_from([smb3_session, smb1_session]))
    streams = list(_streams(session, 100_000))
    streams = [edited(data, stream) for stream in streams]
    step = data.draw(st.integers(16, 5000))
    gaps = dict(data.draw(st.lists(st.tuples(st.integers(0, 200), st.integers(1, 70_000)))))
    parser = SmbParser(KEY)
    events = []
    client, server = streams
    for n, start in enumerate(range(0, max(len(client), len(server)), step)):
        for to_server, stream in ((True, client), (False, server)):
            events += parser.feed(to_server, stream[start : start + step], n)
            if n in gaps:
                events += parser.gap(to_server, gaps[n], n)
        if n % 64 == 0:
            _check(parser, events)
    events += parser.close(10**6)
    _check(parser, events)
    assert parser.waiting == 0


# A tiny SMB2 writer for the hostile cases (MS-SMB2 2.2.1, 2.2.13, 2.2.14, 2.2.21).
def _smb2(command: int, message_id: int, body: bytes, response: bool = False) -> bytes:
    header = struct.pack(
        "<4sHHIHHIIQII8s16s",
        b"\xfeSMB",
        64,
        1,
        0,
        command,
        1,
        1 if response else 0,
        0,
        message_id,
        0,
        1,  # tree 1
        b"\x00" * 8,
        b"\x00" * 16,
    )
    message = header + body
    return len(message).to_bytes(4, "big") + message


def _create(message_id: int, name: str) -> bytes:
    encoded = name.encode("utf-16-le")
    body = struct.pack(
        "<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x1F01FF, 0, 7, 5, 0, 120, len(encoded), 0, 0
    )
    return _smb2(5, message_id, body + encoded)


def _created(message_id: int, file_id: bytes) -> bytes:
    body = struct.pack("<HBBI", 89, 0, 0, 2) + b"\x00" * 40 + struct.pack("<QII", 0, 0x80, 0)
    return _smb2(5, message_id, body + file_id + b"\x00" * 8, response=True)


def _write(message_id: int, file_id: bytes, offset: int, data: bytes, declared: int = -1) -> bytes:
    body = struct.pack("<HHIQ", 49, 64 + 48, len(data) if declared < 0 else declared, offset)
    body += file_id + b"\x00" * 16
    return _smb2(9, message_id, body + data)


def _hostile_far_writes() -> Iterator[tuple[bool, bytes]]:
    """Files written everywhere but at offset 0: nothing hashes, everything would wait."""
    piece = b"w" * 60_000
    for n in range(12):
        file_id = n.to_bytes(16, "little")
        yield True, _create(2 * n, f"f{n}")
        yield False, _created(2 * n, file_id)
        for k in range(150 if n == 0 else 20):  # past FILE_WAITING, then past FLOW_WAITING
            yield True, _write(2 * n + 1, file_id, 10**6 * (k + 1), piece)


def _hostile_opens() -> Iterator[tuple[bool, bytes]]:
    """Files opened and never closed, requests never answered."""
    for n in range(20_000):
        yield True, _create(n, "x" * 200)
        if n % 2:
            yield False, _created(n, n.to_bytes(16, "little"))


def _hostile_endless_write() -> Iterator[tuple[bool, bytes]]:
    """One message of the largest size a session header allows, its WRITE claiming it all."""
    message = _write(1, b"\x01" * 16, 0, b"", declared=2**32 - 1)
    size = 0xFFFFFF
    yield True, size.to_bytes(4, "big") + message[4:]
    chunk = random.Random(4).randbytes(65536)
    for _ in range(size // len(chunk) + 1):
        yield True, chunk


def _hostile_garbage() -> Iterator[tuple[bool, bytes]]:
    """Out of step: bytes that are no session header, with the SMB magic here and there."""
    rng = random.Random(5)
    for _ in range(300):
        yield True, rng.randbytes(60_000) + b"\x00\xff\xff\xff\xfeSMB"
        yield False, b"\x00\x00\x00\x10\xfeSMB" + rng.randbytes(60_000)


HOSTILE = {
    "writes far from offset 0": _hostile_far_writes,
    "endless opens": _hostile_opens,
    "an endless write": _hostile_endless_write,
    "garbage out of step": _hostile_garbage,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_sessions_stay_small(name: str) -> None:
    parser = SmbParser(KEY)
    tracemalloc.start()
    try:
        events = []
        for to_server, data in HOSTILE[name]():
            events += parser.feed(to_server, data, 1)
        _check(parser, events)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < smb.FLOW_WAITING + 4 * 1024 * 1024, f"{name}: {peak} bytes at the peak"
    parser.close(2)
    assert parser.waiting == 0


def test_hostile_flow_through_the_flow_parser() -> None:
    """The same through FlowParser: recognised, read, no failure."""
    c = Conversation(client_port=41000, server_port=445).handshake()
    for to_server, data in list(_hostile_opens())[:2000]:
        c.send(to_server, data)
    parser = FlowParser(c.key)
    for pkt in c.finish().packets:
        parser.packet(1, pkt["IP"].src == c.client_ip, bytes(pkt["IP"]))
    parser.close(2)
    assert (parser.protocol, parser.failure) == ("smb", None)
