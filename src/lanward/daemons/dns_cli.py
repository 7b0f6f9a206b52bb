"""`lanward dns serve`: build the policy from the command line's lists and run the resolver."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import signal
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lanward.engine.dns import lists as list_parser
from lanward.engine.dns.policy import CATEGORIES, BlockList, Policy
from lanward.lib.fetch import FetchError, fetch

from .dnsd import Resolver, ResolverConfig, parse_hostport, parse_upstream, serve

log = logging.getLogger("lanward.dns")


def split_source(spec: str) -> tuple[str, str]:
    """'ads=https://x/list.txt' -> ('ads', url); a bare source goes to 'malware'."""
    head, sep, rest = spec.partition("=")
    if sep and head in CATEGORIES:
        return head, rest
    return "malware", spec


def printable(line: str) -> str:
    """A list line for the log: binary junk escaped, never written raw to a terminal."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in line)


def load_lists(
    specs: list[str], cache_dir: Path | None, previous: Iterable[BlockList] = ()
) -> tuple[list[BlockList], list[str]]:
    """Fetch and parse every list. On a refresh, `previous` holds the lists in use: one that
    can't be read now keeps its previous version instead of silently dropping out."""
    in_use = {(bl.category, bl.name): bl for bl in previous}
    loaded, problems = [], []
    for spec in specs:
        category, source = split_source(spec)
        try:
            fetched = fetch(source, cache_dir)
            parsed = list_parser.parse(fetched.text)
        except (FetchError, ValueError) as exc:
            kept = in_use.get((category, source))
            if kept is not None:
                loaded.append(kept)
                problems.append(f"{source}: {exc}; keeping the copy loaded earlier")
            else:
                problems.append(f"{source}: {exc}")
            continue
        if fetched.error:
            problems.append(f"{source}: using the last good copy ({fetched.error})")
        rejected = sum(parsed.rejected.values())
        log.info(
            "list %s (%s, %s): %d rules, %d lines skipped",
            source,
            category,
            parsed.format,
            parsed.size,
            rejected,
        )
        for reason, count in parsed.rejected.most_common():
            log.info(
                "  skipped %d: %s (e.g. %s)",
                count,
                reason,
                printable(parsed.examples.get(reason, "")),
            )
        loaded.append(BlockList(source, category, parsed))
    return loaded, problems


def run(opts: Any) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        listen = [parse_hostport(x, 53) for x in (opts.listen or ["127.0.0.1:53"])]
        upstreams = [parse_upstream(x) for x in (opts.upstream or [])]
    except ValueError as exc:
        print(
            f"lanward dns: {exc}. Write addresses like 127.0.0.1:5353 or [::1]:5353.",
            file=sys.stderr,
        )
        return 2
    mode = opts.block_answer
    if mode not in ("nxdomain", "null"):
        try:
            ipaddress.ip_address(mode)
        except ValueError:
            print(
                "lanward dns: --block-answer must be nxdomain, null or an IP address.",
                file=sys.stderr,
            )
            return 2
    cache_dir = Path(opts.cache_dir) if opts.cache_dir else None
    lists, problems = load_lists(opts.list or [], cache_dir)
    for problem in problems:
        print(f"lanward dns: {problem}", file=sys.stderr)
    config = ResolverConfig(
        upstreams=upstreams,
        block_mode=mode,
        timeout=opts.timeout,
        rebinding_protection=not opts.allow_rebinding,
        tls_ca_file=getattr(opts, "upstream_ca", "") or "",
    )
    build: Any = lambda fresh: Policy.build(fresh, opts.allow or [])  # noqa: E731
    if getattr(opts, "console", False):
        # The console's lists, allowlist, member policies and query log, plus the command line's.
        import os

        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lanward.settings")
        django.setup()
        from lanward.dnsfilter import services as console

        directory = console.ProfileDirectory()
        directory.start()
        writer = console.QueryLogWriter(directory)
        writer.start()

        def build(fresh: list[BlockList], max_age: float = 0) -> Policy:
            policy = console.build_policy(fresh, max_age=max_age)
            policy.allowlist = policy.allowlist | frozenset(a.lower() for a in opts.allow or [])
            return policy

        watch_state = {"signature": console.config_signature()}

        resolver = Resolver(
            build(lists), config, profile_for=directory.profile_for, log_sink=writer
        )
    else:
        resolver = Resolver(build(lists), config)

    async def refresher() -> None:
        while opts.refresh_minutes > 0:
            await asyncio.sleep(opts.refresh_minutes * 60)
            try:
                fresh, issues = await asyncio.to_thread(
                    load_lists, opts.list or [], cache_dir, resolver.policy.lists
                )
                for issue in issues:
                    log.warning("%s", issue)
                if fresh or not opts.list:
                    resolver.swap_policy(await asyncio.to_thread(build, fresh))
            except Exception:  # noqa: BLE001 - one failed refresh must not end all later ones
                log.exception("refreshing the lists failed; keeping the lists in use")

    async def watch_console() -> None:
        """Console changes (lists added or switched, allowlist) take effect within seconds."""
        if not getattr(opts, "console", False):
            return
        from django.db import close_old_connections

        while True:
            await asyncio.sleep(opts.watch_seconds)
            try:

                def changed() -> bool:
                    close_old_connections()
                    signature = console.config_signature()
                    if signature == watch_state["signature"]:
                        return False
                    watch_state["signature"] = signature
                    return True

                if await asyncio.to_thread(changed):
                    fresh = [
                        bl
                        for bl in resolver.policy.lists
                        if bl.name in {x for x in (opts.list or [])}
                    ]
                    policy = await asyncio.to_thread(
                        build, fresh, opts.refresh_minutes * 60 or 86400
                    )
                    resolver.swap_policy(policy)
                    log.info("console settings changed: lists reloaded")
            except Exception:  # noqa: BLE001 - keep watching
                log.exception("could not reload the console's DNS settings")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        server = asyncio.create_task(
            serve(resolver, listen, ready=lambda: print("lanward dns: ready", flush=True))
        )
        refresh = asyncio.create_task(refresher())
        watcher = asyncio.create_task(watch_console())
        stopper: asyncio.Task[Any] = asyncio.create_task(stop.wait())
        waiting: list[asyncio.Task[Any]] = [server, stopper]
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        for task in (server, refresh, watcher):
            task.cancel()
        for task in done:
            if task is server and task.exception():
                raise task.exception()  # type: ignore[misc]

    try:
        asyncio.run(main())
    except PermissionError:
        print(
            "lanward dns: no permission to listen on that port; use a port above 1023 or run as root.",
            file=sys.stderr,
        )
        return 2
    except OSError as exc:
        print(
            f"lanward dns: cannot listen: {exc.strerror or exc}. Is another DNS server using the port?",
            file=sys.stderr,
        )
        return 2
    return 0
