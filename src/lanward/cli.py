"""The `lanward` command. Thin: it parses options and hands over to Django or a daemon."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lanward.settings")
    import django

    django.setup()


def cmd_manage(args: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lanward.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lanward manage", *args])
    return 0


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, got {value!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, got {port}")
    return port


def cmd_serve(opts: argparse.Namespace) -> int:
    _django_setup()
    from django.conf import settings
    from django.core.management import call_command

    if not opts.no_migrate:
        call_command("migrate", interactive=False, verbosity=0)
    if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        print(
            f"lanward: no LANWARD_EMAIL_URL set; mails are written to {settings.EMAIL_FILE_PATH}",
            file=sys.stderr,
        )
    print(f"lanward: serving on http://{opts.host}:{opts.port}", file=sys.stderr)
    from gunicorn.app.base import BaseApplication

    from lanward.wsgi import application

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set(
                "bind",
                f"[{opts.host}]:{opts.port}" if ":" in opts.host else f"{opts.host}:{opts.port}",
            )
            self.cfg.set("workers", opts.workers)
            self.cfg.set("threads", opts.threads)
            self.cfg.set("accesslog", "-" if opts.access_log else None)
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 5)

        def load(self):  # type: ignore[no-untyped-def]
            return application

    import subprocess

    jobs_proc = None
    if not opts.no_jobs:
        jobs_proc = subprocess.Popen(
            [sys.executable, "-m", "lanward.cli", "manage", "run_jobs", "--loop"]
        )
    station_proc = None
    station_interface = settings.LANWARD_INTERFACE or (
        settings.LANWARD_LAN_INTERFACE if settings.LANWARD_MODE == "gateway" else ""
    )
    if station_interface:
        print(f"lanward: starting the station on {station_interface}", file=sys.stderr)
        station_proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lanward.cli",
                "station",
                "run",
                "--interface",
                station_interface,
            ]
        )
    try:
        _Server().run()
    except SystemExit as exc:
        if exc.code not in (0, None):
            print(
                f"lanward: could not serve on {opts.host}:{opts.port}; is another program "
                "using that port? Pick another with --port.",
                file=sys.stderr,
            )
        return int(exc.code or 0)
    finally:
        for proc in (station_proc, jobs_proc):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    return 0


def _home_nets(opts: argparse.Namespace, lan_interface: str = "") -> tuple[str, ...]:
    """--home-net, else LANWARD_HOME_NETS, else the private ranges plus the networks on the
    LAN interface (a home's global IPv6 prefix, a public IPv4 range) when there is one."""
    import ipaddress

    from lanward.engine.devices import DEFAULT_HOME_NETS

    nets = tuple(opts.home_net or ())
    if not nets:
        from django.conf import settings

        nets = tuple(settings.LANWARD_HOME_NETS)
    for net in nets:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            raise SystemExit(
                f"lanward: {net!r} is not a network; write it like 192.168.1.0/24"
            ) from None
    if nets:
        return nets
    if lan_interface:
        from lanward.lib.interfaces import with_interface_networks

        return with_interface_networks(DEFAULT_HOME_NETS, [lan_interface])
    return DEFAULT_HOME_NETS


def _own_macs(interface: str, gateway: Any) -> tuple[str, ...]:
    """The station's own hardware addresses on the interfaces it watches or routes between."""
    from lanward.lib.interfaces import interface_macs

    names = [interface]
    if gateway is not None:
        names += [getattr(gateway, "lan", ""), getattr(gateway, "wan", "")]
    return interface_macs([n for n in names if n])


def _station_mode(opts: argparse.Namespace, settings: Any) -> tuple[str, Any, str]:
    """(interface to watch, gateway options or None, a problem to report or '')."""
    from lanward.daemons.enforcer import GatewayError, GatewayOptions, preflight

    mode = opts.mode or settings.LANWARD_MODE
    if mode == "monitor":
        if opts.lan or opts.wan:
            return "", None, "--lan and --wan are for gateway mode: add --mode gateway"
        interface = opts.interface or settings.LANWARD_INTERFACE
        if not interface:
            return "", None, "give the interface to watch: --interface IF (or LANWARD_INTERFACE)"
        return interface, None, ""
    lan = opts.lan or settings.LANWARD_LAN_INTERFACE
    wan = opts.wan or settings.LANWARD_WAN_INTERFACE
    if settings.LANWARD_GATEWAY_HEARTBEAT_SECONDS < 1 or settings.LANWARD_BLOCK_MINUTES < 1:
        too_short = "LANWARD_GATEWAY_HEARTBEAT_SECONDS and LANWARD_BLOCK_MINUTES must be at least 1"
        return "", None, too_short
    try:
        preflight(lan, wan)
    except GatewayError as exc:
        return "", None, str(exc)
    gateway = GatewayOptions(
        lan,
        wan,
        heartbeat_seconds=settings.LANWARD_GATEWAY_HEARTBEAT_SECONDS,
        admin_ports=settings.LANWARD_GATEWAY_ADMIN_PORTS,
        block_seconds=settings.LANWARD_BLOCK_MINUTES * 60,
        routers=tuple(settings.LANWARD_GATEWAYS),
    )
    return opts.interface or lan, gateway, ""


def cmd_station(opts: argparse.Namespace) -> int:
    _django_setup()
    from django.conf import settings
    from django.core.management import call_command

    from lanward.daemons import station
    from lanward.engine.pipeline import EngineConfig

    interface, gateway, problem = _station_mode(opts, settings)
    indicators = None
    files = list(opts.indicators or settings.LANWARD_INDICATORS)
    if files and not problem:
        from lanward.analyze import load_indicators

        indicators, errors = load_indicators(files)
        problem = "; ".join(errors)
        for skipped in indicators.problems[:20]:
            print(f"lanward station: skipped {skipped}", file=sys.stderr)
    if problem:
        print(f"lanward station: {problem}", file=sys.stderr)
        return 2
    call_command("migrate", interactive=False, verbosity=0)
    config = EngineConfig(
        indicators=indicators,
        home_nets=_home_nets(opts, interface),
        active_threshold_bytes=settings.LANWARD_ACTIVE_THRESHOLD_BYTES,
        max_flows=settings.LANWARD_MAX_FLOWS,
        keep_flows=settings.LANWARD_FLOW_RETENTION_HOURS > 0,
        gateways=tuple(settings.LANWARD_GATEWAYS),
        own_macs=_own_macs(interface, gateway),
    )
    import logging

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("lanward.station").info("home networks: %s", ", ".join(config.home_nets))
    if gateway is not None:
        from lanward.daemons.enforcer import ipv6_note

        if note := ipv6_note():
            logging.getLogger("lanward.station").warning(note)
    dns_proc = None
    if not opts.no_dns:
        import subprocess

        command = [sys.executable, "-m", "lanward.cli", "dns", "serve", "--console"]
        for listen in settings.LANWARD_DNS_LISTEN:
            command += ["--listen", listen]
        for upstream in settings.LANWARD_DNS_UPSTREAMS:
            command += ["--upstream", upstream]
        command += ["--block-answer", settings.LANWARD_DNS_BLOCK_ANSWER]
        dns_proc = subprocess.Popen(command)
    try:
        return station.run(
            interface,
            config,
            opts.flush_seconds,
            gateway=gateway,
            refresh_seconds=settings.LANWARD_POLICY_REFRESH_SECONDS,
            block_seconds=settings.LANWARD_BLOCK_MINUTES * 60,
        )
    finally:
        if dns_proc is not None:
            dns_proc.terminate()
            try:
                dns_proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                dns_proc.kill()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lanward", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the console and portal over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 1))
    serve.add_argument("--threads", type=int, default=4)
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    serve.add_argument("--access-log", action="store_true")
    serve.add_argument("--no-jobs", action="store_true", help="do not run the housekeeping jobs")

    sub.add_parser("manage", help="run a Django management command (lanward manage help)")

    analyze = sub.add_parser("analyze", help="run the station pipeline on a capture file")
    analyze.add_argument("capture", help="a .pcap or .pcapng file")
    analyze.add_argument(
        "--json", action="store_true", help="print the result as JSON (docs/analyze-json.md)"
    )
    analyze.add_argument("--report", metavar="OUT.html", help="also write an HTML report")
    analyze.add_argument("--flows", action="store_true", help="include every flow in the JSON")
    analyze.add_argument(
        "--max-flows",
        type=int,
        default=0,
        help="flows tracked at once (default 262144); the idlest past it are dropped",
    )
    analyze.add_argument(
        "--home-net",
        action="append",
        metavar="CIDR",
        help="a home network (repeatable); default: private ranges",
    )
    analyze.add_argument(
        "--store", action="store_true", help="also save devices and usage in the console's database"
    )
    analyze.add_argument(
        "--gateway",
        action="append",
        metavar="IP",
        help="the router's LAN address (repeatable): sign-ins to its admin console are reported",
    )
    analyze.add_argument(
        "--indicators",
        action="append",
        metavar="FILE",
        help="an indicator feed to match flows against (repeatable): IP/domain lists, hosts "
        "files, abuse.ch CSV, STIX 2.1 JSON",
    )
    analyze.add_argument(
        "--rules",
        action="append",
        metavar="FILE",
        help="Suricata/Snort rules to run on HTTP, DNS and TLS (repeatable), besides "
        "lanward's own; what could not be loaded is reported on stderr",
    )

    station = sub.add_parser("station", help="the station daemon")
    station_sub = station.add_subparsers(dest="station_command", required=True)
    station_run = station_sub.add_parser(
        "run", help="watch a live interface (monitor mode) or route and block (gateway mode)"
    )
    station_run.add_argument(
        "--interface",
        "-i",
        help="the interface to watch, e.g. eth0 (default: LANWARD_INTERFACE; in gateway mode "
        "the LAN interface)",
    )
    station_run.add_argument(
        "--mode",
        choices=("monitor", "gateway"),
        help="monitor: watch only; gateway: route between --lan and --wan and block "
        "(default: LANWARD_MODE, else monitor)",
    )
    station_run.add_argument("--lan", metavar="IF", help="gateway mode: the home side")
    station_run.add_argument("--wan", metavar="IF", help="gateway mode: the internet side")
    station_run.add_argument(
        "--indicators",
        action="append",
        metavar="FILE",
        help="an indicator feed (repeatable; default LANWARD_INDICATORS): flows are matched "
        "against it and, in gateway mode, its addresses are blocked",
    )
    station_run.add_argument(
        "--home-net", action="append", metavar="CIDR", help="a home network (repeatable)"
    )
    station_run.add_argument(
        "--flush-seconds", type=float, default=5.0, help="how often to write to the database"
    )
    station_run.add_argument(
        "--no-dns", action="store_true", help="do not start the filtering DNS resolver"
    )
    dns_parser = sub.add_parser("dns", help="the filtering DNS resolver")
    dns_sub = dns_parser.add_subparsers(dest="dns_command", required=True)
    dns_serve = dns_sub.add_parser(
        "serve", help="answer DNS queries, blocking what the lists block"
    )
    dns_serve.add_argument(
        "--listen", action="append", metavar="ADDR:PORT", help="repeatable; default 127.0.0.1:53"
    )
    dns_serve.add_argument(
        "--upstream",
        action="append",
        metavar="ADDR:PORT",
        help="repeatable; tls://ADDR:853#name for DNS-over-TLS",
    )
    dns_serve.add_argument(
        "--list",
        action="append",
        metavar="[CATEGORY=]FILE-or-URL",
        help="repeatable; format detected",
    )
    dns_serve.add_argument(
        "--allow", action="append", metavar="DOMAIN", help="never block this domain (repeatable)"
    )
    dns_serve.add_argument(
        "--block-answer", default="nxdomain", help="nxdomain, null (0.0.0.0 / ::) or an IP address"
    )
    dns_serve.add_argument(
        "--timeout", type=float, default=2.0, help="seconds to wait for an upstream"
    )
    dns_serve.add_argument(
        "--refresh-minutes", type=float, default=360, help="re-fetch lists this often (0: never)"
    )
    dns_serve.add_argument("--cache-dir", help="keep the last good copy of downloaded lists here")
    dns_serve.add_argument(
        "--allow-rebinding", action="store_true", help="let public names answer private addresses"
    )
    dns_serve.add_argument(
        "--console",
        action="store_true",
        help="also use the console's lists, policies and query log",
    )
    dns_serve.add_argument(
        "--watch-seconds",
        type=float,
        default=10,
        help="with --console: how often to look for changed settings",
    )
    dns_serve.add_argument(
        "--upstream-ca", metavar="FILE", help="CA certificates to trust for DNS-over-TLS upstreams"
    )

    station_pair = station_sub.add_parser("pair", help="pair this station with an account")
    station_pair.add_argument(
        "--portal", required=True, help="the portal's address, e.g. https://portal.example"
    )
    station_pair.add_argument("--code", required=True, help="the pairing code shown in the portal")
    station_pair.add_argument(
        "--name", default="", help="a name for this station (default: the host name)"
    )
    station_sub.add_parser("license", help="show this station's license, verified offline")
    station_sub.add_parser("heartbeat", help="report to the portal and refresh the license token")

    privacy = sub.add_parser("privacy", help="what lanward stores and sends")
    privacy_sub = privacy.add_subparsers(dest="privacy_command", required=True)
    disclosure = privacy_sub.add_parser(
        "disclosure", help="what each feature stores, how long, and what leaves the station"
    )
    disclosure_format = disclosure.add_mutually_exclusive_group()
    disclosure_format.add_argument("--json", action="store_true", help="as JSON")
    disclosure_format.add_argument("--markdown", action="store_true", help="as Markdown")
    from lanward.securitycheck.cli import add_parsers as add_security_check_parsers

    add_security_check_parsers(sub)  # lanward scan, lanward vulns import
    return parser


def cmd_station_portal(opts: argparse.Namespace) -> int:
    import socket

    _django_setup()
    from django.conf import settings

    from lanward import __version__
    from lanward.lib import license_token, portal_client

    path = settings.DATA_DIR / "station-pairing.json"
    try:
        if opts.station_command == "pair":
            pairing = portal_client.pair(opts.portal, opts.code, opts.name or socket.gethostname())
            portal_client.save(pairing, path)
            print(f"lanward: paired as station {pairing.station_id}")
        elif opts.station_command == "heartbeat":
            pairing = portal_client.heartbeat(portal_client.load(path), __version__)
            portal_client.save(pairing, path)
        pairing = portal_client.load(path)
        claims = pairing.verify(grace_seconds=settings.LANWARD_LICENSE_GRACE_SECONDS)
    except (portal_client.PortalError, license_token.TokenError) as exc:
        print(f"lanward station: {exc}", file=sys.stderr)
        return 2
    import datetime as dt

    until = dt.datetime.fromtimestamp(claims.license_expires_at, dt.UTC)
    note = " (portal not reached recently: running on the grace period)" if claims.in_grace else ""
    print(
        f"license {claims.license_id}: plan {claims.plan}, {claims.seats} seats, valid until {until:%Y-%m-%d}{note}"
    )
    return 0


def cmd_privacy(opts: argparse.Namespace) -> int:
    _django_setup()
    import json

    from lanward.privacy import disclosure

    data = disclosure.build()
    if opts.json:
        print(json.dumps(data, indent=2))
    else:
        print(disclosure.markdown(data) if opts.markdown else disclosure.text(data))
    return 0


# The programs that run for long and keep a log file (settings.LANWARD_LOG_ROLE).
LOG_ROLES = {
    ("serve",): "web",
    ("station", "run"): "station",
    ("dns", "serve"): "dns",
    ("manage", "run_jobs"): "jobs",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Every program says who it is, so a child never writes into its parent's log.
    os.environ["LANWARD_LOG_ROLE"] = next(
        (role for words, role in LOG_ROLES.items() if tuple(argv[: len(words)]) == words), ""
    )
    if argv and argv[0] == "manage":
        return cmd_manage(argv[1:])
    opts = build_parser().parse_args(argv)
    if opts.command == "serve":
        return cmd_serve(opts)
    if opts.command == "analyze":
        from lanward import analyze as analyze_cmd

        return analyze_cmd.run(opts)
    if opts.command == "dns":
        from lanward.daemons import dns_cli

        return dns_cli.run(opts)
    if opts.command == "station":
        if opts.station_command in ("pair", "license", "heartbeat"):
            return cmd_station_portal(opts)
        return cmd_station(opts)
    if opts.command == "privacy":
        return cmd_privacy(opts)
    if opts.command in ("scan", "vulns"):
        from lanward.securitycheck import cli as security_check_cli

        if opts.command == "scan":
            return security_check_cli.run_scan_command(opts)
        return security_check_cli.run_vulns_command(opts)
    return 2


if __name__ == "__main__":
    sys.exit(main())
