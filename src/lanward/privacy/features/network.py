"""What the station learns by watching the home network: devices, usage, DNS, alerts."""

from __future__ import annotations

from ..declare import Data, Egress, Feature, Files, Retention, Switch
from ..destinations import blocklist_servers, dns_upstreams, feed_servers
from .common import SETTING, WITH_DEVICE, days

INVENTORY = Feature(
    key="inventory",
    name="Device inventory",
    purpose="Knowing which devices are on the network, what they are and whose they are.",
    apps=("inventory",),
    data=(
        Data(
            "inventory.device",
            "each device: hardware (MAC) and IP addresses, host name, maker, type, system, "
            "the name and owner you gave it, when it was first and last seen",
            ("mac", "ips", "hostname", "vendor", "type", "os", "name", "owner", "last_seen"),
            Retention(
                "until you delete it, or once it has not been seen for the days set "
                "(0: never forgotten)",
                "forget_devices_days",
                "0: never",
            ),
        ),
        Data(
            "inventory.device",
            "device recognition evidence: DHCP fingerprints, browser user agents, services "
            "offered and the clues behind each guess",
            ("dhcp_fingerprint", "dhcp_vendor_class", "user_agents", "services", "evidence"),
            WITH_DEVICE,
        ),
        Data(
            "inventory.member",
            "the people in the household: name and picture",
            ("name", "picture"),
            Retention("until you delete the member"),
        ),
        Data(
            "inventory.devicelink",
            "randomized hardware addresses found to belong to the same device, and why",
            ("mac", "reason"),
            WITH_DEVICE,
        ),
        Data(
            "inventory.unlinkedmac",
            "hardware addresses you split off a device, so they are not linked again",
            ("mac",),
            Retention("until you delete all household data"),
        ),
        Data(
            "inventory.deviceevent",
            "each device's history: new, online, offline, new address",
            ("kind", "created", "detail"),
            days("device_event_days", "LANWARD_DEVICE_EVENT_RETENTION_DAYS", 365),
        ),
        Data(
            "inventory.stationnotice",
            "messages the station left for you (e.g. it dropped connections under load)",
            ("kind", "message", "created"),
            days("notice_days", "LANWARD_NOTICE_RETENTION_DAYS", 90),
        ),
    ),
    files=(
        Files(
            "uploads/members/",
            "the members' pictures",
            Retention("until you change the picture or delete the member"),
        ),
    ),
    switches=(
        Switch(
            how="Privacy settings → Keep device recognition evidence",
            costs="the device page no longer shows why a device was recognized as what it is; "
            "types and names are still guessed, but only from what was seen since the last start",
            setting="device_evidence",
            read_by=("lanward.inventory.store.save_devices",),
        ),
        Switch(
            how="Stop watching the network: unset LANWARD_INTERFACE (or stop `lanward station run`)",
            costs="no device list, no usage, no alerts; web threat protection still works",
        ),
    ),
)

USAGE = Feature(
    key="usage",
    name="Usage",
    purpose="How much each device and app uses the network, and when.",
    apps=("usage",),
    data=(
        Data(
            "usage.usagehour",
            "bytes up and down and active time per device and app, per hour",
            ("device", "app", "hour", "bytes_up", "bytes_down", "active_seconds"),
            days(
                "usage_hourly_days",
                "LANWARD_USAGE_HOURLY_DAYS",
                35,
                rule="added up into days, then deleted, after",
            ),
        ),
        Data(
            "usage.usageday",
            "the same per day",
            ("device", "app", "day", "bytes_up", "bytes_down", "active_seconds"),
            days("usage_daily_days", "LANWARD_USAGE_DAILY_DAYS", 400),
        ),
        Data(
            "usage.flowrecord",
            "raw connection records: addresses, ports, app, server name, bytes",
            ("src", "dst", "app", "sni", "first_seen"),
            Retention(
                "only while switched on; deleted after the hours set",
                "flow_hours",
                "off; 24 hours once on (LANWARD_FLOW_RETENTION_HOURS)",
            ),
        ),
    ),
    switches=(
        Switch(
            how="Privacy settings → Meter usage per device and app",
            costs="the Usage pages stay empty: no totals, no top apps, no time online",
            setting="usage_metering",
            read_by=("lanward.inventory.store.save_usage",),
        ),
        Switch(
            how="Privacy settings → Keep raw connection records",
            costs="nothing the console shows; only the raw records for your own analysis",
            setting="flow_records",
            read_by=("lanward.inventory.store.keeping_flows",),
        ),
    ),
)

DNS_FILTER = Feature(
    key="dnsfilter",
    name="Web threat protection (DNS)",
    purpose="Answering the devices' DNS lookups and blocking dangerous or unwanted sites.",
    apps=("dnsfilter",),
    data=(
        Data(
            "dnsfilter.querylog",
            "each lookup: when, which device and member, the name looked up (unless the "
            "privacy level hides it), and whether it was blocked, by which list and entry",
            ("time", "client", "device", "member", "name", "action", "list_name", "rule"),
            days("dns_log_days", "LANWARD_DNS_LOG_DAYS", 7),
        ),
        Data(
            "dnsfilter.memberpolicy",
            "each member's blocked categories, safe search and query log level",
            ("member", "blocked_categories", "privacy", "safe_search"),
            SETTING,
        ),
        Data(
            "dnsfilter.devicepolicy",
            "categories blocked on one device",
            ("device", "blocked_categories"),
            SETTING,
        ),
        Data(
            "dnsfilter.allowentry",
            "domains never blocked, for everyone or one device",
            ("domain", "device", "note"),
            SETTING,
        ),
        Data(
            "dnsfilter.blocklistsource",
            "the block lists you added: name, URL or file, how the last download went",
            ("name", "source", "last_update", "last_error"),
            SETTING,
            scope="settings",
        ),
    ),
    files=(
        Files(
            "lists/",
            "the last good copy of each downloaded block list, and uploaded lists",
            Retention("replaced by each download; uploaded lists until you remove them"),
        ),
    ),
    egress=(
        Egress(
            to="the DNS servers in LANWARD_DNS_UPSTREAMS (default Quad9 9.9.9.9 and "
            "Cloudflare 1.1.1.1)",
            why="to answer lookups the station has not cached and does not block",
            sends="the names looked up, from the station's own address (the servers do not "
            "learn which device asked)",
            required=True,
            condition="while the station answers DNS (`lanward station run` without --no-dns)",
            destinations=dns_upstreams,
        ),
        Egress(
            to="the web servers of the block lists added as URLs",
            why="to keep the lists current (every few hours; unchanged lists cost one small "
            "request)",
            sends="a download request from the station's address; nothing about the household",
            required=False,
            switch="blocklist_downloads",
            destinations=blocklist_servers,
        ),
    ),
    switches=(
        Switch(
            how="Privacy settings → DNS query log for the whole household (and per member "
            "under Web protection)",
            costs="'Nothing' keeps no log: no statistics, no 'most blocked', no per-device "
            "lookups; blocking still works",
            setting="dns_log_level",
            read_by=("lanward.dnsfilter.services.ProfileDirectory.refresh",),
        ),
        Switch(
            how="Privacy settings → Download block lists and threat feeds from their URLs",
            costs="lists are no longer updated: new dangerous sites are not blocked; the last "
            "downloaded copy keeps working",
            setting="blocklist_downloads",
            read_by=("lanward.dnsfilter.services.build_policy",),
        ),
        Switch(
            how="Stop answering DNS: `lanward station run --no-dns`, or give devices another "
            "DNS server",
            costs="no web threat protection and no query log",
        ),
    ),
)

THREATS = Feature(
    key="threats",
    name="Alerts",
    purpose="Detecting attacks, infected devices and unusual behaviour on the network.",
    apps=("threats",),
    data=(
        Data(
            "threats.alert",
            "each alert: kind, severity, device, the addresses and app involved, a summary "
            "and the evidence (what matched: a name, address, fingerprint, rule or file hash; "
            "for a dangerous mail attachment the sender and recipient addresses, never the "
            "subject or text; for a dangerous file on a share the share's path and the file "
            "name)",
            ("kind", "device", "src", "dst", "app", "summary", "evidence", "time"),
            days("alert_days", "LANWARD_ALERT_RETENTION_DAYS", 365),
        ),
        Data(
            "threats.devicebaseline",
            "each device's learned normal behaviour for the smart alerts: the domains and apps "
            "it uses, when it is active, how much it sends and receives, whom it talks to, the "
            "countries and networks it reaches, its listening services, its regular connections "
            "and how many of its lookups fail (a count, not the names)",
            ("mac", "data", "updated"),
            Retention(
                "as long as the device is in the inventory; the retention job deletes the "
                "baselines of deleted or forgotten devices"
            ),
        ),
        Data(
            "threats.baselinelesson",
            "'this is normal, learn it' answers, until the station has learned them",
            ("mac", "evidence", "created_by", "applied"),
            Retention("deleted by the retention job a day after the station learned them"),
        ),
        Data(
            "threats.remoteaccessallowance",
            "remote-control programs you allowed on a device, and who allowed them",
            ("device", "app", "until", "created_by"),
            SETTING,
        ),
        Data(
            "threats.routerapproval",
            "devices you approved to manage the router, and who approved them",
            ("device", "until", "created_by"),
            SETTING,
        ),
        Data(
            "threats.threatfeed",
            "the threat feeds and rule files you added: name, URL or file, how the last "
            "download went",
            ("name", "source", "last_update", "last_error"),
            SETTING,
            scope="settings",
        ),
    ),
    files=(
        Files(
            "feeds/",
            "the last good copy of each downloaded threat feed",
            Retention("replaced by each download"),
        ),
    ),
    egress=(
        Egress(
            to="the web servers of the threat feeds added as URLs",
            why="to keep indicators and rules current",
            sends="a download request from the station's address; nothing about the household",
            required=False,
            switch="blocklist_downloads",
            destinations=feed_servers,
        ),
    ),
    switches=(
        Switch(
            how="Privacy settings → Download block lists and threat feeds from their URLs",
            costs="feeds are no longer updated: new attacks are not recognized; the last "
            "downloaded copy keeps working",
            setting="blocklist_downloads",
            read_by=("lanward.threats.feeds._downloads_allowed",),
        ),
        Switch(
            how="Privacy settings → Learn each device's normal behaviour (smart alerts)",
            costs="no alerts about a device doing something it never did (new kinds of sites, "
            "beaconing, unusual uploads, new services); the learned baselines are deleted",
            setting="smart_alerts",
            read_by=("lanward.threats.baselines.keep_baselines",),
        ),
        Switch(
            how="Stop watching the network (see Device inventory)",
            costs="no alerts",
        ),
    ),
)
