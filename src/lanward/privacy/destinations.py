"""Where data goes under the current configuration: the concrete hosts behind each Egress."""

from __future__ import annotations

from .declare import Destination, url_destination


def dns_upstreams() -> list[Destination]:
    from django.conf import settings

    from lanward.daemons.dnsd import parse_upstream

    out = []
    for text in settings.LANWARD_DNS_UPSTREAMS:
        try:
            upstream = parse_upstream(text)
        except ValueError:
            continue
        # Plain DNS also retries over TCP when an answer is truncated.
        out.append(Destination(upstream.host, upstream.port, "tcp" if upstream.tls else "any"))
    return out


def blocklist_servers() -> list[Destination]:
    from lanward.dnsfilter.models import BlockListSource

    sources = BlockListSource.objects.filter(enabled=True).values_list("source", flat=True)
    return [d for d in map(url_destination, sources) if d is not None]


def portal() -> list[Destination]:
    from django.conf import settings

    from lanward.lib import portal_client

    try:
        pairing = portal_client.load(settings.DATA_DIR / "station-pairing.json")
    except portal_client.PortalError:
        return []
    found = url_destination(pairing.portal)
    return [found] if found else []


def mail_server() -> list[Destination]:
    from django.conf import settings

    if not settings.EMAIL_URL:
        return []
    return [Destination(settings.EMAIL_HOST, int(settings.EMAIL_PORT), "tcp")]


def sms_gateway() -> list[Destination]:
    from django.conf import settings

    if settings.SMS_PROVIDER != "http":
        return []
    found = url_destination(settings.SMS_HTTP_URL)
    return [found] if found else []


def home_networks() -> list[Destination]:
    from django.conf import settings

    from lanward.engine.devices import DEFAULT_HOME_NETS

    nets = tuple(settings.LANWARD_HOME_NETS) or DEFAULT_HOME_NETS
    return [Destination(net, None, "any") for net in nets]


def feed_servers() -> list[Destination]:
    from lanward.threats.models import ThreatFeed

    sources = ThreatFeed.objects.filter(enabled=True).values_list("source", flat=True)
    return [d for d in map(url_destination, sources) if d is not None]


def webhook_receivers() -> list[Destination]:
    from lanward.notify.models import Channel

    urls = Channel.objects.filter(type=Channel.Type.WEBHOOK, enabled=True).values_list(
        "url", flat=True
    )
    return [d for d in map(url_destination, urls) if d is not None]
