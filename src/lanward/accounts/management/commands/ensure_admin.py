"""Create a first administrator when there is none, and say how to sign in."""

from __future__ import annotations

import secrets
from typing import Any

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand, CommandParser

from lanward.accounts.models import User


class Command(BaseCommand):
    help = "Create a first administrator if none exists and print how to sign in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default="admin@lanward.local")
        parser.add_argument("--password", default="", help="default: a random one, printed once")

    def handle(self, *args: Any, **opts: Any) -> None:
        if User.objects.filter(is_superuser=True).exists():
            admin = User.objects.filter(is_superuser=True).order_by("pk").first()
            self.stdout.write(
                f"An administrator exists ({admin}). Sign in at http://127.0.0.1:8000/"
            )
            return
        password = opts["password"] or secrets.token_urlsafe(12)
        user = User.objects.create_superuser(opts["email"], password)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        self.stdout.write(
            "\nFirst administrator created. Sign in at http://127.0.0.1:8000/ with\n"
            f"  email:    {user.email}\n  password: {password}\n"
            "Change the password under Security after signing in. This is shown only once.\n"
        )
