"""Licenses, stations, support and the privacy settings themselves."""

from __future__ import annotations

from ..declare import Data, Egress, Feature, Files, Retention, Switch
from ..destinations import portal
from .common import SETTING, WITH_ACCOUNT

FOR_ACCOUNTING = Retention(
    "as long as the license's account exists; invoices as long as the law requires"
)

LICENSING = Feature(
    key="licensing",
    name="Licenses and billing (portal)",
    purpose="Activation codes, licenses, renewals and invoices, kept by the licensing portal.",
    apps=("licensing",),
    data=(
        Data(
            "licensing.activationcode",
            "activation codes and which account used them",
            ("code", "used_by", "used_at"),
            FOR_ACCOUNTING,
            scope="portal",
        ),
        Data(
            "licensing.license",
            "each license: its owner, plan, key and validity",
            ("owner", "plan", "key", "status", "ends_at"),
            FOR_ACCOUNTING,
            scope="portal",
        ),
        Data(
            "licensing.subscription",
            "auto-renewal, payment attempts and the payment processor's customer id "
            "(never a card number)",
            ("auto_renew", "status", "customer_reference"),
            FOR_ACCOUNTING,
            scope="portal",
        ),
        Data(
            "licensing.invoice",
            "invoices: period, amount, status, the processor's reference",
            ("amount", "status", "provider_reference", "paid_at"),
            FOR_ACCOUNTING,
            scope="portal",
        ),
        Data(
            "licensing.reminder",
            "which license reminder mails were sent",
            ("kind", "sent_at"),
            FOR_ACCOUNTING,
            scope="portal",
        ),
    ),
    files=(
        Files(
            "keys/",
            "the portal's license signing key",
            Retention("as long as the portal runs"),
        ),
    ),
    egress=(
        Egress(
            to="the payment processor in LANWARD_PAYMENT_PROVIDER (portal only)",
            why="to charge renewals",
            sends="the amount and the processor's customer reference",
            required=True,
            condition="only on a portal with a payment processor configured; the default "
            "invoice provider sends nothing",
        ),
    ),
    switches=(
        Switch(
            how="Licenses → turn off auto-renew",
            costs="the license ends at its end date unless renewed by hand",
        ),
    ),
)

STATIONS = Feature(
    key="stations",
    name="Station pairing and license check",
    purpose="Pairing a station with an account and checking its license with the portal.",
    apps=("stations",),
    data=(
        Data(
            "stations.station",
            "each paired station: its name, software version, when it last checked in",
            ("name", "version", "last_heartbeat", "owner"),
            Retention("until the station is removed from the account, or the account deleted"),
            scope="portal",
        ),
        Data(
            "stations.pairingcode",
            "pairing codes",
            ("code", "expires_at", "used_at"),
            Retention("valid 15 minutes; deleted with the account"),
            scope="portal",
        ),
    ),
    files=(
        Files(
            "station-pairing.json",
            "this station's pairing: the portal's address, the station's id and secret, the "
            "signed license token",
            Retention("until the station is paired again"),
        ),
    ),
    egress=(
        Egress(
            to="the licensing portal the station was paired with",
            why="pairing (once) and the license check (heartbeat), which keeps the license "
            "token fresh",
            sends="the pairing code and the station's name when pairing; then the station's "
            "id, its secret and the software version. Nothing about devices or usage",
            required=True,
            condition="once the station is paired (`lanward station pair`)",
            destinations=portal,
        ),
    ),
    switches=(
        Switch(
            how="Do not pair the station, or remove it under Stations",
            costs="the station runs on its license's grace period, then stops being licensed",
        ),
    ),
)

SUPPORT = Feature(
    key="support",
    name="Support tickets and troubleshooting logs",
    purpose="Asking for help; a troubleshooting bundle only when you review and attach it.",
    apps=("support",),
    data=(
        Data(
            "support.ticket",
            "your tickets' subjects and status",
            ("owner", "subject", "status"),
            WITH_ACCOUNT,
            scope="account",
        ),
        Data(
            "support.ticketmessage",
            "the messages and attachments, including troubleshooting bundles you attached "
            "(addresses, names and secrets masked before you saw them)",
            ("body", "attachment", "author"),
            WITH_ACCOUNT,
            scope="account",
        ),
    ),
    files=(
        Files(
            "uploads/tickets/",
            "ticket attachments",
            WITH_ACCOUNT,
        ),
        Files(
            "logs/",
            "the programs' own logs (web: warnings and errors; station, DNS, jobs: what they "
            "did), which can name devices' addresses; they stay here and go into a "
            "troubleshooting bundle only, masked, when you build one",
            Retention(
                "rotated: at most LANWARD_LOG_FILE_BYTES per file and two older files per "
                "program, older lines overwritten",
                default="1 MiB per file (LANWARD_LOG_FILE_BYTES; 0 keeps no log files)",
            ),
        ),
    ),
    switches=(
        Switch(
            how="Do not open tickets; a troubleshooting bundle is only built when you ask",
            costs="none",
        ),
        Switch(
            how="Set LANWARD_LOG_FILE_BYTES=0 (the programs then log only to their console)",
            costs="a troubleshooting bundle has no logs to help find what went wrong",
        ),
    ),
)

PRIVACY = Feature(
    key="privacy",
    name="Privacy settings",
    purpose="The choices on the Privacy settings page.",
    apps=("privacy",),
    data=(
        Data(
            "privacy.privacysettings",
            "what the station collects, what may leave it and how long data is kept",
            ("usage_metering", "flow_records", "dns_log_level", "blocklist_downloads"),
            SETTING,
            scope="settings",
        ),
    ),
)
