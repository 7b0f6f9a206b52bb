"""`lanward station run`: watch a live interface and keep the store up to date.

Thin (STYLE rule 4): two capture threads feed one engine under a lock; the main loop flushes
what the engine learned to the database every few seconds and marks idle devices offline.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from lanward.daemons import capture
from lanward.engine.pipeline import Engine, EngineConfig

log = logging.getLogger("lanward.station")


class Station:
    def __init__(self, interface: str, config: EngineConfig, flush_seconds: float = 5.0) -> None:
        self.interface = interface
        self.engine = Engine(config)
        self.lock = threading.Lock()
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
        ]
        for t in threads:
            t.start()
        log.info("watching %s", self.interface)
        try:
            while not self.stop.wait(self.flush_seconds):
                self.flush(store)
            self.flush(store)
        finally:
            capture.stop_meters()
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
            store.apply_unlinks(self.engine)
            store.save_devices(self.engine)
            store.save_usage(self.engine, before_ms=now_ms)
            if self.engine.config.keep_flows:
                store.save_flows(self.engine)
            self.engine.usage.reset_totals()
            store.save_notices(self.engine)
            from lanward.threats.store import save_alerts

            save_alerts(self.engine.alerts)
        store.mark_offline()


def run(interface: str, config: EngineConfig, flush_seconds: float = 5.0) -> int:
    station = Station(interface, config, flush_seconds)

    def _stop(signum: int, frame: Any) -> None:
        station.stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        return station.run()
    except capture.CaptureError as exc:
        print(f"lanward station: {exc}")
        return 2
