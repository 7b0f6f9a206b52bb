"""Give a newcomer something to look at: a generated home network, through the real pipeline.

At first start with no interface to watch, `make up` runs this. It writes a realistic capture of
a small home (phones, laptop, TV, speaker, camera, printer, smart plug) with scapy into the data
dir and runs it through the same engine and store as the live station.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from lanward.inventory.models import Device


class Command(BaseCommand):
    help = "Load the demo home network (only when the station has no devices yet)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="load even if devices exist")
        parser.add_argument("--minutes", type=int, default=90)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **opts: Any) -> None:
        if getattr(settings, "LANWARD_INTERFACE", ""):
            self.stdout.write("A station interface is configured; no demo.")
            return
        if Device.objects.exists() and not opts["force"]:
            self.stdout.write("The station already knows devices; no demo loaded.")
            return
        from lanward.daemons.capture import analyze_file
        from lanward.demo.generate import generate_home_capture
        from lanward.engine.pipeline import Engine, EngineConfig
        from lanward.inventory import store

        path = Path(settings.DATA_DIR) / "demo-home.pcap"
        # End the demo traffic now, so the devices look like they were just active.
        start_ms = int(time.time() * 1000) - opts["minutes"] * 60_000
        generate_home_capture(path, start_ms=start_ms, seed=opts["seed"], minutes=opts["minutes"])
        engine = Engine(
            EngineConfig(active_threshold_bytes=settings.LANWARD_ACTIVE_THRESHOLD_BYTES)
        )
        analyze_file(path, engine)
        saved = store.save_all(engine)
        self.stdout.write(
            f"Demo loaded: {saved['devices']} devices and {saved['usage_rows']} usage rows from {path}. "
            "Watch your own network with: lanward station run --interface IF"
        )
