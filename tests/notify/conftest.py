from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lanward.notify.models import Channel
from lanward.notify.services import channels_for
from tests.cast import cast, client_as, owner_client  # noqa: F401 - fixtures
from tests.conftest import Mailbox, unique_email

from .receiver import Receiver


@pytest.fixture
def smtp(settings: Any, smtp_server: tuple[str, int, Mailbox]) -> Mailbox:
    """Django's mail goes to the real SMTP sink of tests/conftest.py, as LANWARD_EMAIL_URL would
    send it to a real server."""
    host, port, mailbox = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = host, port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return mailbox


@pytest.fixture
def inbox(cast: dict[str, Any], smtp: Mailbox) -> str:  # noqa: F811 - the fixture
    """A fresh address the owner's email channel sends to (the sink is shared by all tests)."""
    address = unique_email("owner-inbox")
    email = next(c for c in channels_for(cast["owner"]) if c.type == Channel.Type.EMAIL)
    email.address = address
    email.save(update_fields=["address"])
    return address


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    """A webhook receiver on loopback, which the station is told it may reach."""
    settings.LANWARD_WEBHOOK_ALLOWED_NETS = ["127.0.0.1/32"]
    settings.LANWARD_WEBHOOK_TIMEOUT_SECONDS = 3
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def hook(cast: dict[str, Any], receiver: Receiver) -> Channel:  # noqa: F811 - the fixture
    """The owner's webhook channel pointing at the receiver."""
    from lanward.lib.webhook import new_secret

    return Channel.objects.create(
        owner=cast["owner"],
        type=Channel.Type.WEBHOOK,
        name="test hook",
        url=receiver.url,
        secret=new_secret(),
    )
