"""Parse throughput of the HTTP/2 parser next to the HTTP/1 parser on the same exchange.

    .venv/bin/python bench/http2_parse.py [--mb 20] [--runs 3] [--segment 1460]

Two workloads of about `--mb` MB on the wire each, the same requests and response bodies
in both protocols:

- downloads: 100 KB responses, ten streams at a time, their DATA frames interleaved (HTTP/2:
  16 KiB frames, flow control windows opened wide); one response after another (HTTP/1,
  keep-alive, Content-Length);
- small: 2 KB responses (an API, a page's many small files), where framing and headers cost
  most.

The HTTP/2 bytes come from a real h2 client and server (hyper-h2 H2Connection, each reading
the other); the HTTP/1 bytes are written by hand. Each direction is fed to the parser
(`Http2Parser` / `HttpParser`, sans-IO, as FlowParser feeds them) in `--segment`-byte pieces,
and every response is checked to be reported with its body's SHA-256 before the time counts.
Bodies are random bytes with no content coding, so the hashing (MD5, SHA-1, SHA-256 of every
body, as for any download) is the same work in both. Prints MB/s of each and

    ratio http2_MBps/http1_MBps = 0.xx

per workload (the best of `--runs` runs of each).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from collections.abc import Callable
from typing import TypeAlias

import h2.config
import h2.connection
import h2.events
import h2.settings

from lanward.engine.applayer.http import HttpParser
from lanward.engine.applayer.http2 import Http2Parser
from lanward.engine.events import FlowKey, HttpTransaction

KEY = FlowKey("192.168.1.20", 40000, "192.168.1.1", 80, 6)
Script = list[tuple[bool, bytes]]


def bodies(total: int, size: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(size) for _ in range(max(1, total // size))]


def request_headers(i: int) -> list[tuple[str, str]]:
    return [
        (":method", "GET"),
        (":path", f"/assets/file-{i}.bin?v=3"),
        (":scheme", "http"),
        (":authority", "cdn.example.com"),
        ("user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
        ("accept", "*/*"),
        ("accept-language", "en-GB,en;q=0.5"),
        ("cookie", "session=4f6c2a9e1d7b3c5a8e0f2d4b6a8c0e1f; theme=dark"),
    ]


def response_headers(size: int) -> list[tuple[str, str]]:
    return [
        (":status", "200"),
        ("content-type", "application/octet-stream"),
        ("content-length", str(size)),
        ("cache-control", "max-age=3600"),
        ("server", "nginx"),
    ]


def h2_script(payloads: list[bytes], concurrent: int) -> Script:
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    server = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    script: Script = []
    big = 2**31 - 1

    def move(to_server: bool) -> list[h2.events.Event]:
        sender, receiver = (client, server) if to_server else (server, client)
        data = sender.data_to_send()
        if not data:
            return []
        script.append((to_server, data))
        return receiver.receive_data(data)

    client.initiate_connection()
    client.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: big})
    client.increment_flow_control_window(big - 65535)
    server.initiate_connection()
    move(True)
    move(False)
    move(True)
    for start in range(0, len(payloads), concurrent):
        batch = {}
        for i in range(start, min(start + concurrent, len(payloads))):
            stream_id = client.get_next_available_stream_id()
            client.send_headers(stream_id, request_headers(i), end_stream=True)
            batch[stream_id] = payloads[i]
        move(True)
        for stream_id, body in batch.items():
            server.send_headers(stream_id, response_headers(len(body)))
        offset = 0
        frame = server.max_outbound_frame_size
        while any(offset < len(b) for b in batch.values()):
            for stream_id, body in batch.items():
                if offset < len(body):
                    end = offset + frame >= len(body)
                    server.send_data(stream_id, body[offset : offset + frame], end_stream=end)
            offset += frame
        move(False)
    return script


def h1_script(payloads: list[bytes]) -> Script:
    script: Script = []
    for i, body in enumerate(payloads):
        headers = request_headers(i)
        lines = [f"GET {headers[1][1]} HTTP/1.1", "Host: cdn.example.com"]
        lines += [f"{k.title()}: {v}" for k, v in headers[4:]]
        script.append((True, ("\r\n".join(lines) + "\r\n\r\n").encode()))
        answer = ["HTTP/1.1 200 OK"] + [
            f"{k.title()}: {v}" for k, v in response_headers(len(body))[1:]
        ]
        script.append((False, ("\r\n".join(answer) + "\r\n\r\n").encode() + body))
    return script


Parser: TypeAlias = HttpParser | Http2Parser


def parse(make: Callable[[], Parser], script: Script, segment: int) -> tuple[float, list]:
    parser = make()
    events: list = []
    started = time.perf_counter()
    for to_server, data in script:
        for at in range(0, len(data), segment):
            events += parser.feed(to_server, data[at : at + segment], 0)
    events += parser.close(0)
    return time.perf_counter() - started, events


def check(events: list, payloads: list[bytes], name: str) -> None:
    txs = [e for e in events if isinstance(e, HttpTransaction)]
    want = sorted(hashlib.sha256(p).hexdigest() for p in payloads)
    got = sorted(tx.file.sha256 for tx in txs if tx.file is not None and tx.status == 200)
    if got != want:
        raise SystemExit(f"{name}: {len(got)} of {len(payloads)} responses parsed right")


def workload(name: str, size: int, concurrent: int, args: argparse.Namespace) -> float:
    payloads = bodies(int(args.mb * 1_000_000), size)
    scripts = {"http2": h2_script(payloads, concurrent), "http1": h1_script(payloads)}
    makers: dict[str, Callable[[], Parser]] = {
        "http2": lambda: Http2Parser(KEY),
        "http1": lambda: HttpParser(KEY),
    }
    rates = {}
    for proto in ("http2", "http1"):
        wire = sum(len(d) for _, d in scripts[proto])
        best = float("inf")
        for _ in range(args.runs):
            seconds, events = parse(makers[proto], scripts[proto], args.segment)
            check(events, payloads, f"{name}/{proto}")
            best = min(best, seconds)
        rates[proto] = wire / best / 1e6
        print(
            f"{name:9} {proto}: {wire / 1e6:6.1f} MB on the wire, {len(payloads)} responses, "
            f"{best:6.2f} s, {rates[proto]:6.1f} MB/s"
        )
    ratio = rates["http2"] / rates["http1"]
    print(f"{name:9} ratio http2_MBps/http1_MBps = {ratio:.2f}")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mb", type=float, default=20.0, help="MB per workload (20)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each parser; best counts")
    parser.add_argument("--segment", type=int, default=1460, help="bytes fed at a time")
    args = parser.parse_args()
    workload("downloads", 100_000, 10, args)
    workload("small", 2_000, 10, args)


if __name__ == "__main__":
    main()
