"""The console's DNS configuration as a Policy, per-client profiles, and the batched query log."""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from lanward.daemons.dnsd import QueryRecord
from lanward.engine.dns import lists as list_parser
from lanward.engine.dns.policy import BlockList, Decision, Policy, Profile
from lanward.inventory.models import Device
from lanward.lib.fetch import FetchError, fetch

from .models import (
    DEFAULT_BLOCKED,
    AllowEntry,
    BlockListSource,
    DevicePolicy,
    MemberPolicy,
    QueryLog,
)

log = logging.getLogger("lanward.dns")


# Pages and the block page read lists from the local copy when it is younger than this; only the
# resolver's scheduled refresh asks the list servers.
CONSOLE_MAX_AGE = 6 * 3600


def config_signature() -> tuple[object, ...]:
    """Changes whenever the console's DNS settings do (cheap: a few aggregate queries)."""
    from django.db.models import Count, Max

    lists = BlockListSource.objects.aggregate(n=Count("id"), last=Max("created"))
    enabled = tuple(
        BlockListSource.objects.filter(enabled=True)
        .order_by("pk")
        .values_list("pk", "category", "source")
    )
    allow = tuple(AllowEntry.objects.order_by("pk").values_list("pk", flat=True))
    return (lists["n"], lists["last"], enabled, allow)


def build_policy(extra: list[BlockList] | None = None, max_age: float = 0) -> Policy:
    """Fetch and parse every enabled list (keeping the last good copy) and record how it went."""
    from lanward.privacy.models import PrivacySettings

    lists: list[BlockList] = list(extra or [])
    cache_dir = settings.DATA_DIR / "lists"
    offline = not PrivacySettings.load().blocklist_downloads
    for source in BlockListSource.objects.filter(enabled=True):
        try:
            fetched = fetch(source.source, cache_dir, max_age=max_age, offline=offline)
            parsed = list_parser.parse(fetched.text)
        except (FetchError, ValueError) as exc:
            BlockListSource.objects.filter(pk=source.pk).update(last_error=str(exc)[:300])
            continue
        outcome: dict[str, Any] = {
            "format": parsed.format,
            "entries": parsed.size,
            "rejected": sum(parsed.rejected.values()),
            "rejected_reasons": {
                _storable(k): {"count": v, "example": _storable(parsed.examples.get(k, ""))}
                for k, v in parsed.rejected.items()
            },
            "last_error": fetched.error[:300],
        }
        if not fetched.error:  # a fallback to the last good copy is not an update
            outcome["last_update"] = timezone.now()
        BlockListSource.objects.filter(pk=source.pk).update(**outcome)
        lists.append(BlockList(source.name, source.category, parsed))
    allow = AllowEntry.objects.filter(device__isnull=True).values_list("domain", flat=True)
    return Policy.build(lists, allow)


def _storable(text: str) -> str:
    """Lines quoted from a list, without NUL characters (PostgreSQL refuses them in text/JSON)."""
    return text.replace("\x00", "\N{REPLACEMENT CHARACTER}")


LOG_LEVELS = ("full", "hidden", "stats", "nothing")  # from most to least kept


def stricter(level: str, other: str) -> str:
    """The query log level that keeps less of the two."""
    return max(level, other, key=lambda x: LOG_LEVELS.index(x) if x in LOG_LEVELS else 0)


class ProfileDirectory:
    """Client address -> Profile, from the device inventory; refreshed in the background so a
    query never waits on the database."""

    def __init__(self, refresh_seconds: float = 30) -> None:
        self.refresh_seconds = refresh_seconds
        self.by_ip: dict[str, tuple[Profile, int | None, int | None, str]] = {}
        self.default = Profile(blocked_categories=frozenset(DEFAULT_BLOCKED))
        self.household_level: str = MemberPolicy.Privacy.FULL
        self._stop = threading.Event()

    def refresh(self) -> None:
        from lanward.privacy.models import PrivacySettings

        # The household's query log level is the most anyone's lookups are logged with.
        household = PrivacySettings.load().dns_log_level
        policies = {p.member_id: p for p in MemberPolicy.objects.all()}
        device_categories = {
            p.device_id: frozenset(p.blocked_categories) for p in DevicePolicy.objects.all()
        }
        exceptions: dict[int, set[str]] = {}
        for entry in AllowEntry.objects.filter(device__isnull=False):
            exceptions.setdefault(entry.device_id, set()).add(entry.domain)  # type: ignore[arg-type]
        table = {}
        for device in Device.objects.all().only("pk", "ips", "owner_id", "blocked"):
            policy = policies.get(device.owner_id) if device.owner_id else None
            if device.pk in device_categories:  # the device's own settings win over its owner's
                categories = device_categories[device.pk]
            else:
                categories = (
                    frozenset(policy.blocked_categories) if policy else frozenset(DEFAULT_BLOCKED)
                )
            profile = Profile(
                blocked_categories=categories,
                allow=frozenset(exceptions.get(device.pk, ())),
                safe_search=bool(policy and policy.safe_search),
                paused=device.blocked,
            )
            privacy = stricter(policy.privacy if policy else MemberPolicy.Privacy.FULL, household)
            for ip in device.ips:
                table[ip] = (profile, device.pk, device.owner_id, privacy)
        self.by_ip = table
        self.household_level = household

    def profile_for(self, client: str) -> Profile:
        entry = self.by_ip.get(client)
        return entry[0] if entry else self.default

    def lookup(self, client: str) -> tuple[int | None, int | None, str]:
        entry = self.by_ip.get(client)
        return (entry[1], entry[2], entry[3]) if entry else (None, None, self.household_level)

    def run(self) -> None:
        while not self._stop.wait(self.refresh_seconds):
            try:
                close_old_connections()
                self.refresh()
            except Exception:  # noqa: BLE001 - keep the last table
                log.exception("could not refresh DNS profiles")

    def start(self) -> None:
        self.refresh()
        threading.Thread(target=self.run, daemon=True, name="dns-profiles").start()


class QueryLogWriter:
    """Collects query records and writes them in batches, so logging never slows an answer."""

    def __init__(
        self, directory: ProfileDirectory, flush_seconds: float = 1.0, max_queue: int = 100_000
    ) -> None:
        self.directory = directory
        self.flush_seconds = flush_seconds
        self.queue: queue.Queue[QueryRecord] = queue.Queue(maxsize=max_queue)
        self.dropped = 0

    def __call__(self, record: QueryRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1

    def flush(self) -> int:
        batch: list[QueryLog] = []
        while len(batch) < 5000:
            try:
                record = self.queue.get_nowait()
            except queue.Empty:
                break
            device_id, member_id, privacy = self.directory.lookup(record.client)
            if privacy == MemberPolicy.Privacy.NOTHING:
                continue
            name = (
                ""
                if privacy in (MemberPolicy.Privacy.HIDDEN, MemberPolicy.Privacy.STATS)
                else record.name
            )
            batch.append(
                QueryLog(
                    time=datetime.fromtimestamp(record.time, UTC),
                    client=record.client,
                    device_id=device_id,
                    member_id=member_id,
                    name=name,
                    qtype=record.qtype,
                    action=record.action,
                    list_name=record.list_name[:200],
                    category=record.category,
                    rule=record.rule[:300] if name else "",
                    cached=record.cached,
                    latency_ms=round(record.latency_ms, 2),
                )
            )
        if batch:
            QueryLog.objects.bulk_create(batch)
        return len(batch)

    def run(self) -> None:
        while True:
            time.sleep(self.flush_seconds)
            try:
                close_old_connections()
                while self.flush():
                    pass
            except Exception:  # noqa: BLE001 - the log is best effort; answers go on
                log.exception("could not write the DNS query log")

    def start(self) -> None:
        threading.Thread(target=self.run, daemon=True, name="dns-log").start()


# How far back the block page looks for a block the resolver made by the answer's address.
WHY_LOG = timedelta(minutes=10)


def why(domain: str, policy: Policy | None = None, member: Any = None) -> Decision:
    """Which list blocks `domain`: for `member`'s policy, or without one for any category (the
    lookup and the block page answer for whoever was blocked, e.g. by a member's adult list)."""
    policy = policy or build_policy(max_age=CONSOLE_MAX_AGE)
    profile = Profile()
    if member is not None:
        mp = MemberPolicy.objects.filter(member=member).first()
        categories = mp.blocked_categories if mp is not None else DEFAULT_BLOCKED
        profile = Profile(blocked_categories=frozenset(categories))
    decision = policy.decide(domain, profile)
    if decision.blocked:
        return decision
    # Not blocked by name: maybe by where it pointed (a C2 address list, an RPZ rpz-ip trigger),
    # which only the resolver saw. Its log says so.
    recent = (
        QueryLog.objects.filter(name=domain.lower().rstrip("."), time__gte=timezone.now() - WHY_LOG)
        .exclude(action__in=("allowed", "failed", "rebinding-refused", "safe-search"))
        .exclude(rule="")
        .order_by("-time")
        .first()
    )
    if recent is not None and recent.by_address:
        return Decision(
            "block",
            list_name=recent.list_name,
            category=recent.category,
            rule=recent.rule,
            reason=f"the address it points to ({recent.rule}) is on {recent.list_name}",
        )
    return decision


def prune_log(now: datetime | None = None, days: int | None = None) -> int:
    now = now or timezone.now()
    deleted = QueryLog.objects.filter(
        time__lt=now - timedelta(days=days or settings.LANWARD_DNS_LOG_DAYS)
    ).delete()[0]
    excess = QueryLog.objects.count() - settings.LANWARD_DNS_LOG_MAX_ROWS
    if excess > 0:
        ids = list(QueryLog.objects.order_by("time").values_list("pk", flat=True)[:excess])
        deleted += QueryLog.objects.filter(pk__in=ids).delete()[0]
    return deleted
