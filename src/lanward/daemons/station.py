"""`lanward station run`: watch a live interface and keep the store up to date.

Thin (STYLE rule 4): two capture threads feed one engine under a lock; the main loop flushes
what the engine learned to the database every few seconds and marks idle devices offline. Every
few seconds it also reads the owner's policy (lanward.threats.policy) into the engine and the
enforcement, and gives each new alert its `action`.

Monitor mode (the default) only watches: the actions say what gateway mode would have done, and a
dry-run backend holds the sets it would have written. Gateway mode (`--mode gateway --lan IF
--wan IF`) routes and blocks with nftables (daemons/enforcer.py): a thread of its own refreshes
the heartbeat, sends set changes and turns the drops it logged into alerts.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from lanward.daemons import applayer, capture
from lanward.daemons.enforcer import (
    Gateway,
    GatewayOptions,
    addresses_by_mac,
    interface_addresses,
    neighbors,
)
from lanward.enforce.policy import Enforcement
from lanward.engine.pipeline import Engine, EngineConfig
from lanward.lib.nftables import DryRunBackend, NftBackend, NftError, find_nft

log = logging.getLogger("lanward.station")


def now_ms() -> int:
    return int(time.time() * 1000)


class Station:
    def __init__(
        self,
        interface: str,
        config: EngineConfig,
        flush_seconds: float = 5.0,
        enforcement: Enforcement | None = None,
        gateway: Gateway | None = None,
        refresh_seconds: float = 3.0,
    ) -> None:
        self.interface = interface
        self.engine = Engine(config)
        self.lock = threading.Lock()
        self.enforcement = enforcement or Enforcement(enforcing=False, home_nets=config.home_nets)
        self.enforcement.set_indicators(config.indicators)
        self.enforce_lock = threading.Lock()  # taken after `lock`, never before it
        self.gateway = gateway
        self.dry_run = DryRunBackend()  # monitor mode: the sets gateway mode would hold
        self.refresh_seconds = refresh_seconds
        self.macs_by_ip: dict[str, str] = {}
        self.file_indicators = config.indicators  # --indicators / LANWARD_INDICATORS
        self.feed_signature: tuple[object, ...] | None = None
        self.feeds_loaded_at = 0.0
        self.stop = threading.Event()
        self.flush_seconds = flush_seconds
        self.errors: list[str] = []
        self.touched: set[str] = set()
        self.dropped_reported = 0

    def _pump(self, name: str, events: Iterator[Any], handler: Any) -> None:
        try:
            for event in events:
                with self.lock:
                    handler(event)
                if self.stop.is_set():
                    break
        except Exception as exc:  # noqa: BLE001 - reported and ends the daemon cleanly
            self.errors.append(
                f"{name} capture stopped: {capture.describe_live_error(exc, self.interface)}"
            )
            self.stop.set()

    def _app_events(self) -> Iterator[Any]:
        """Payload inspection on the ports LANWARD_INSPECT_PORTS names (or the default list)."""
        from django.conf import settings

        ports = tuple(getattr(settings, "LANWARD_INSPECT_PORTS", ()) or applayer.INSPECT_PORTS)
        return applayer.app_events(
            self.interface, bpf_filter=applayer.live_bpf(ports), idle_timeout=30, active_timeout=120
        )

    def run(self) -> int:
        from lanward.inventory import store

        capture.check_interface(self.interface)
        capture.repair_live_flow_expiry()
        capture.bound_flow_table(self.engine.config.max_flows)
        self.dropped_reported = capture.dropped_flows()
        flows = capture.flows(self.interface, idle_timeout=15, active_timeout=60)
        discovery = capture.discovery_events(self.interface, idle_timeout=1, active_timeout=5)
        threads = [
            threading.Thread(
                target=self._pump, args=("flow", flows, self.engine.flow), daemon=True
            ),
            threading.Thread(
                target=self._pump, args=("discovery", discovery, self.engine.discovery), daemon=True
            ),
            threading.Thread(
                target=self._pump,
                args=("application", self._app_events(), self.engine.app_event),
                daemon=True,
            ),
            threading.Thread(
                target=self._pump,
                args=("ARP", applayer.live_arp_events(self.interface, self.stop), self.engine.arp),
                daemon=True,
            ),
        ]
        self.refresh_feeds()
        self.refresh_policy()  # allowances in place before the first drop
        keeper: threading.Thread | None = None
        try:
            if self.gateway is not None:
                self.gateway.start(now_ms())
                keeper = threading.Thread(target=self._keep_gateway, daemon=True)
                threads.append(keeper)
                log.info(
                    "gateway mode: blocking between %s and %s",
                    self.gateway.options.lan,
                    self.gateway.options.wan,
                )
            for t in threads:
                t.start()
            log.info("watching %s", self.interface)
            tick = max(0.1, min(1.0, self.flush_seconds, self.refresh_seconds))
            next_flush = time.monotonic() + self.flush_seconds
            next_refresh = time.monotonic() + self.refresh_seconds
            while not self.stop.wait(tick):
                if time.monotonic() >= next_refresh:
                    self.refresh_feeds()
                    self.refresh_policy()
                    next_refresh = time.monotonic() + self.refresh_seconds
                with self.lock:
                    self.review()
                if time.monotonic() >= next_flush:
                    self.flush(store)
                    next_flush = time.monotonic() + self.flush_seconds
            self.flush(store)
        finally:
            self.stop.set()
            capture.stop_meters()
            if self.gateway is not None:
                if keeper is not None and keeper.is_alive():
                    keeper.join(timeout=10)
                self.gateway.stop()
                log.info("gateway mode: the lanward nftables table is removed")
        for message in self.errors:
            log.error(message)
        return 1 if self.errors else 0

    def flush(self, store: Any) -> None:
        now_ms = int(time.time() * 1000)
        with self.lock:
            dropped = capture.dropped_flows()
            if dropped > self.dropped_reported:
                self.engine.note_dropped_flows(
                    dropped - self.dropped_reported, self.engine.config.max_flows, now_ms
                )
                self.dropped_reported = dropped
            self.review()
            store.apply_unlinks(self.engine)
            store.save_devices(self.engine)
            store.save_usage(self.engine, before_ms=now_ms)
            store.save_kept_flows(self.engine)
            self.engine.usage.reset_totals()
            store.save_notices(self.engine)
            from lanward.threats.store import save_alerts

            save_alerts(self.engine.alerts)
            from lanward.threats.baselines import keep_baselines

            keep_baselines(self.engine, final=self.stop.is_set())  # smart-alert baselines
        store.mark_offline()

    def review(self) -> None:
        """Give each new alert its action (blocking in gateway mode). Call with `lock` held."""
        stamp = now_ms()
        with self.enforce_lock:
            for found in self.engine.alerts:
                if "action" not in found:
                    self.enforcement.review(found, stamp)
            if self.gateway is None:
                changes = self.enforcement.changes(stamp)
                self.dry_run.apply(changes)
                self.enforcement.applied(changes, stamp)

    def refresh_feeds(self) -> None:
        """Load the console's threat feeds when they changed or are due; keep the last on failure."""
        from django.conf import settings
        from django.db import DatabaseError

        from lanward.engine.detect.feeds import Indicators
        from lanward.engine.rules import Variables, load_rules
        from lanward.threats.feeds import feeds_signature, load_feeds

        try:
            signature = feeds_signature()
            due = (
                time.monotonic() - self.feeds_loaded_at
                >= settings.LANWARD_FEED_REFRESH_HOURS * 3600
            )
            if signature == self.feed_signature and not due:
                return
            # Due: ask the feed servers; only changed: the local copies of unchanged feeds do.
            loaded, texts = load_feeds(max_age=0 if due else 6 * 3600)
        except DatabaseError as exc:
            log.warning("could not read the threat feeds, keeping the last ones: %s", exc)
            return
        indicators = Indicators()
        if self.file_indicators is not None:
            indicators.merge(self.file_indicators)
        indicators.merge(loaded)
        home = tuple(self.engine.config.home_nets)
        rules = load_rules(texts, Variables.for_home(home)) if texts else None
        with self.lock:
            self.engine.update_feeds(indicators if len(indicators) else None, rules)
        with self.enforce_lock:
            self.enforcement.set_indicators(indicators if len(indicators) else None)
        self.feed_signature, self.feeds_loaded_at = signature, time.monotonic()
        log.info("threat feeds: %d indicators, %d rule files", len(indicators), len(texts))

    def refresh_policy(self) -> None:
        """Read the owner's allowances, approvals and paused devices; keep the last on failure."""
        from django.db import DatabaseError

        from lanward.inventory.models import Device
        from lanward.threats.policy import current_policy

        try:
            policy = dict(current_policy())
            if "paused" not in policy:
                blocked = Device.objects.filter(blocked=True).values_list("mac", flat=True)
                policy["paused"] = {mac: 0 for mac in blocked}
        except DatabaseError as exc:
            log.warning("could not read the policy, keeping the last one: %s", exc)
            return
        with self.lock:
            self.engine.update_policy(
                policy.get("remote_allowed") or {}, policy.get("router_approved") or {}
            )
            seen = [(d.mac, ip) for d in self.engine.devices.devices.values() for ip in d.ips]
        table = neighbors(self.gateway.options.lan) if self.gateway is not None else {}
        by_mac = addresses_by_mac(table, seen)
        with self.enforce_lock:
            self.enforcement.set_policy(policy, by_mac, now_ms())
        self.macs_by_ip = {ip: mac for mac, ips in by_mac.items() for ip in ips}

    def _keep_gateway(self) -> None:
        """Gateway mode's own thread: heartbeat and set changes, then the logged drops."""
        assert self.gateway is not None
        while not self.stop.wait(self.gateway.beat_seconds):
            try:
                with self.enforce_lock:
                    self.gateway.beat(now_ms())
                    dropped = self.gateway.drops(self.macs_by_ip, now_ms())
            except NftError as exc:
                # Nothing is blocked once the heartbeat runs out: the gateway fails open.
                log.error("gateway mode: %s", exc)
                continue
            if dropped:
                with self.lock:
                    self.engine.alerts.extend(dropped)


def run(
    interface: str,
    config: EngineConfig,
    flush_seconds: float = 5.0,
    gateway: GatewayOptions | None = None,
    refresh_seconds: float = 3.0,
    block_seconds: int = 3600,
) -> int:
    enforcement = Enforcement(
        enforcing=gateway is not None,
        home_nets=config.home_nets,
        block_seconds=block_seconds,
        admin_ports=gateway.admin_ports if gateway else Enforcement.admin_ports,
    )
    keeper = None
    if gateway is not None:
        own = interface_addresses(gateway.lan)
        # The station is the router: sign-ins to its own admin ports are router access.
        config.gateways = tuple(dict.fromkeys([*config.gateways, *own]))
        enforcement.set_router_addresses([r for r in gateway.routers if r not in own])
        keeper = Gateway(gateway, enforcement, NftBackend(nft=find_nft() or "nft"))
    station = Station(
        interface, config, flush_seconds, enforcement, keeper, refresh_seconds=refresh_seconds
    )

    def _stop(signum: int, frame: Any) -> None:
        station.stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        return station.run()
    except capture.CaptureError as exc:
        print(f"lanward station: {exc}")
        return 2
    except NftError as exc:
        print(f"lanward station: gateway mode could not start: {exc}")
        return 2
