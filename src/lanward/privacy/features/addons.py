"""Notifications and the security check."""

from __future__ import annotations

from ..declare import Data, Egress, Feature, Retention, Switch
from ..destinations import home_networks, mail_server, webhook_receivers
from .common import WITH_ACCOUNT, days

NOTIFY = Feature(
    key="notify",
    name="Notifications",
    purpose="Telling the household about alerts, new devices, station notices and findings: "
    "in the console, by email and by webhook.",
    apps=("notify",),
    data=(
        Data(
            "notify.notification",
            "each notification: for whom, what about (title, text, device) and when it was read",
            ("recipient", "title", "body", "device", "created", "read_at"),
            days(
                "notification_days",
                "LANWARD_NOTIFICATION_RETENTION_DAYS",
                90,
                rule="once delivered, deleted after",
            ),
        ),
        Data(
            "notify.delivery",
            "each email or webhook delivery: attempts, errors, when it was sent",
            ("channel", "status", "attempts", "last_error", "sent_at"),
            Retention("deleted with its notification"),
        ),
        Data(
            "notify.channel",
            "your channels: the email address or webhook URL (and its signing secret) and "
            "what each should receive",
            ("address", "url", "secret", "rules", "last_error"),
            WITH_ACCOUNT,
            scope="account",
        ),
        Data(
            "notify.preferences",
            "your quiet hours and digest choice",
            ("quiet_start", "quiet_end", "digest"),
            WITH_ACCOUNT,
            scope="account",
        ),
    ),
    egress=(
        Egress(
            to="the mail server in LANWARD_EMAIL_URL",
            why="notifications and digests by email",
            sends="the notification's title and text (device names included) to your address",
            required=False,
            switch="notify_email",
            condition="only when a mail server is set up and a channel wants the notification",
            destinations=mail_server,
        ),
        Egress(
            to="the webhook URLs you added",
            why="notifications posted as JSON, signed with the channel's secret",
            sends="the notification: kind, severity, title, text, the device's name and address",
            required=False,
            switch="notify_webhooks",
            destinations=webhook_receivers,
        ),
    ),
    switches=(
        Switch(
            how="Privacy settings → Send notifications by email",
            costs="you only see notifications in the console; nothing is emailed while it is "
            "off (mails already waiting go out once it is on again)",
            setting="notify_email",
            read_by=("lanward.notify.services.outward_allowed",),
        ),
        Switch(
            how="Privacy settings → Send notifications to webhooks",
            costs="your other systems hear nothing from the station while it is off",
            setting="notify_webhooks",
            read_by=("lanward.notify.services.outward_allowed",),
        ),
    ),
)

SECURITY_CHECK = Feature(
    key="securitycheck",
    name="Security check",
    purpose="Checking the home's devices for default passwords, risky settings and known "
    "vulnerabilities.",
    apps=("securitycheck",),
    data=(
        Data(
            "securitycheck.scanrun",
            "each scan: who asked, which addresses, progress and errors",
            ("requested_by", "targets", "created", "errors", "summary"),
            days(
                "finding_days",
                "LANWARD_FINDING_RETENTION_DAYS",
                365,
                rule="once finished, deleted after",
            ),
        ),
        Data(
            "securitycheck.finding",
            "each problem found: device, address, port, what and how to fix it, and which "
            "password list entry worked (never the password)",
            ("device", "address", "port", "summary", "evidence", "credential_username"),
            days(
                "finding_days",
                "LANWARD_FINDING_RETENTION_DAYS",
                365,
                rule="while open; once fixed, deleted after",
            ),
        ),
    ),
    egress=(
        Egress(
            to="the devices on the home networks (LANWARD_HOME_NETS, else the private ranges); "
            "never the internet",
            why="to look for open services, default passwords and vulnerable versions",
            sends="connection attempts, service probes and well-known default passwords",
            required=False,
            switch="automatic_scans",
            condition="automatically: on the schedule (LANWARD_SCAN_INTERVAL_DAYS; 0 turns it "
            "off) and for new devices (LANWARD_SCAN_NEW_DEVICES), only on a station that "
            "watches a network",
            destinations=home_networks,
        ),
        Egress(
            to="the devices you chose, on the home networks; never the internet",
            why="a security check you started",
            sends="connection attempts, service probes and well-known default passwords",
            required=False,
            condition="only when someone starts a check in the console or with `lanward scan`",
            destinations=home_networks,
        ),
    ),
    switches=(
        Switch(
            how="Privacy settings → Check devices automatically (security check)",
            costs="weak and default passwords and vulnerable devices go unnoticed until you "
            "start a check yourself",
            setting="automatic_scans",
            read_by=("lanward.securitycheck.services.automatic_allowed",),
        ),
        Switch(
            how="Start no checks yourself",
            costs="the same: nothing checks your devices",
        ),
    ),
)
