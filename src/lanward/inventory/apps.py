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
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=HOUSEHOLD_GROUP)
    perms = Permission.objects.filter(
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
