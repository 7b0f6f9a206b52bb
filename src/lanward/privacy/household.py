"""Export and delete all of the household's data: every model the registry puts in the
"household" scope (and, for the export, the household's settings).

Accounts are not household data: each person exports and deletes their own account
(lanward.accounts). The export streams, so a year of DNS log never sits in memory.
"""

from __future__ import annotations

import base64
import json
import logging
import mimetypes
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import FileField, Model
from django.utils import timezone

from . import registry
from .models import PrivacySettings

log = logging.getLogger("lanward.privacy")

EXPORT_FORMAT = "lanward-household-export"
EXPORT_VERSION = 1


def household_models() -> list[type[Model]]:
    return [apps.get_model(label) for label in registry.models_in_scope("household")]


def export_models() -> list[type[Model]]:
    labels = registry.models_in_scope("household") + registry.models_in_scope("settings")
    return [apps.get_model(label) for label in labels]


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _file_fields(model: type[Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if isinstance(f, FileField)]


def _storage(model: type[Model], name: str) -> Any:
    field = model._meta.get_field(name)
    assert isinstance(field, FileField)
    return field.storage


def _embed(model: type[Model], row: dict[str, Any], file_fields: list[str]) -> dict[str, Any]:
    """Files (a member's picture) go into the export as data: URLs."""
    for name in file_fields:
        stored = row.get(name)
        if not stored:
            continue
        try:
            with _storage(model, name).open(stored, "rb") as fh:
                data = fh.read()
        except OSError:
            row[f"{name}_data"] = None  # the file is gone; the export says so
            continue
        kind = mimetypes.guess_type(stored)[0] or "application/octet-stream"
        row[f"{name}_data"] = f"data:{kind};base64,{base64.b64encode(data).decode()}"
    return row


def export_chunks(exported_by: str = "") -> Iterator[str]:
    """The export as JSON text, in pieces: {"format", "version", "exported_at", "data": {label:
    [rows]}}, each row with every stored column."""
    head = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "exported_by": exported_by,
        "what": "every row the station stores about the household's network and people, and "
        "the household's settings; see `lanward privacy disclosure` for what each is",
    }
    yield _dumps(head)[:-1] + ', "data": {'
    for i, model in enumerate(export_models()):
        yield ("," if i else "") + _dumps(model._meta.label_lower) + ": ["
        files = _file_fields(model)
        rows = model._default_manager.order_by("pk").values().iterator(chunk_size=2000)
        for j, row in enumerate(rows):
            yield ("," if j else "") + _dumps(_embed(model, row, files))
        yield "]"
    yield "}}"


def counts() -> dict[str, int]:
    """How many rows of household data each model holds (what delete would remove)."""
    return {m._meta.label_lower: m._default_manager.count() for m in household_models()}


def _empty_logs() -> None:
    """The programs' logs name devices' addresses: empty them, drop the rotated copies. A
    program still writing appends to the emptied file (it is open for appending)."""
    from django.conf import settings

    for path in sorted((Path(settings.DATA_DIR) / "logs").glob("*.log*")):
        try:
            if path.suffix == ".log":
                path.open("r+b").truncate(0)
            else:
                path.unlink()
        except OSError:
            log.warning("could not empty %s", path.name)


def erase(done_by: str = "") -> dict[str, int]:
    """Delete all household data: rows, and files they point to. Returns rows deleted per model.

    A running station forgets what it holds in memory too (PrivacySettings.erased_at)."""
    deleted: dict[str, int] = {}
    files: list[tuple[Any, str]] = []
    with transaction.atomic():
        # Children before parents, so each delete is a plain one without cascades to collect.
        for model in reversed(household_models()):
            for name in _file_fields(model):
                storage = _storage(model, name)
                for stored in model._default_manager.exclude(**{name: ""}).values_list(
                    name, flat=True
                ):
                    files.append((storage, stored))
            deleted[model._meta.label_lower] = model._default_manager.all().delete()[0]
        prefs = PrivacySettings.load()
        prefs.erased_at = timezone.now()
        prefs.save(update_fields=["erased_at", "updated"])

        def _remove_files() -> None:
            for storage, stored in files:
                try:
                    storage.delete(stored)
                except OSError:
                    log.warning("could not delete %s", Path(stored).name)
            _empty_logs()

        transaction.on_commit(_remove_files)
    from lanward.inventory.models import StationNotice

    total = sum(deleted.values())
    StationNotice.objects.create(
        kind="household_erased",
        message=f"All household data was deleted{f' by {done_by}' if done_by else ''}: "
        f"{total} records.",
    )
    log.info("household data deleted by %s: %s", done_by or "?", deleted)
    return deleted
