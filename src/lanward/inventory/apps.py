from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

HOUSEHOLD_GROUP = "Household"
HOUSEHOLD_PERMS = (
    "view_device",
    "change_device",
    "view_member",
    "add_member",
    "change_member",
    "delete_member",
)


def ensure_household_group(sender: Any, **kwargs: Any) -> None:
    """The group whose members see and manage the station (created after every migrate)."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission
    from django.db import DEFAULT_DB_ALIAS

    using = kwargs.get("using", DEFAULT_DB_ALIAS)
    # This app comes before django.contrib.auth in INSTALLED_APPS, so auth's own post_migrate
    # handler has not created this app's permissions yet on a fresh database: create them first
    # (idempotent), or the group would stay empty until the next migrate.
    create_permissions(sender, verbosity=0, using=using, apps=kwargs.get("apps", global_apps))
    group, _ = Group.objects.using(using).get_or_create(name=HOUSEHOLD_GROUP)
    perms = Permission.objects.using(using).filter(
        content_type__app_label="inventory", codename__in=HOUSEHOLD_PERMS
    )
    group.permissions.add(*perms)


class InventoryConfig(AppConfig):
    name = "lanward.inventory"
    label = "inventory"
    verbose_name = "Devices and members"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(ensure_household_group, sender=self)
