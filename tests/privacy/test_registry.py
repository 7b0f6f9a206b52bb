"""The registry holds to the code: every model is declared (or not personal, with a reason),
every declaration names real models, fields and settings, and every switch is obeyed by the
code the registry says reads it."""

from __future__ import annotations

import inspect
from importlib import import_module

import pytest
from django.apps import apps
from django.db import models

from lanward.privacy import registry
from lanward.privacy.declare import SCOPES, Destination, url_destination
from lanward.privacy.models import PrivacySettings

NOT_A_CHOICE = {"id", "updated", "erased_at"}


def all_labels() -> set[str]:
    return {m._meta.label_lower for m in apps.get_models()}


def test_every_model_of_every_app_is_declared_or_not_personal() -> None:
    declared = set(registry.declared_models())
    missing = all_labels() - declared - set(registry.NOT_PERSONAL)
    assert not missing, (
        f"models nobody declared in lanward.privacy.registry: {sorted(missing)}. Say what they "
        "store and how long (or add them to NOT_PERSONAL with a reason)."
    )


def test_every_lanward_app_is_covered_by_a_feature() -> None:
    lanward_apps = {c.label for c in apps.get_app_configs() if c.name.startswith("lanward.")}
    with_models = {label for label in lanward_apps if list(apps.get_app_config(label).get_models())}
    covered = {label for f in registry.FEATURES for label in f.apps}
    assert with_models <= covered, sorted(with_models - covered)


def test_every_declared_model_and_field_exists() -> None:
    labels = all_labels()
    for label, declarations in registry.declared_models().items():
        assert label in labels, f"{label} is declared but no such model is installed"
        model = apps.get_model(label)
        names = {f.name for f in model._meta.get_fields()} | {
            f.attname for f in model._meta.concrete_fields
        }
        for d in declarations:
            assert d.scope in SCOPES, (label, d.scope)
            assert d.what and d.retention.rule, label
            unknown = set(d.fields) - names
            assert not unknown, f"{label} has no field(s) {sorted(unknown)}"
    assert not set(registry.NOT_PERSONAL) & set(registry.declared_models())
    assert set(registry.NOT_PERSONAL) <= labels


def test_household_models_hold_no_credentials() -> None:
    """The household export has no secret columns to leave out: check that stays true."""
    for label in registry.models_in_scope("household"):
        for field in apps.get_model(label)._meta.concrete_fields:
            assert not any(w in field.name for w in ("password", "secret", "token", "hash")), (
                label,
                field.name,
            )


def settings_fields() -> dict[str, models.Field]:
    return {f.name: f for f in PrivacySettings._meta.concrete_fields}  # type: ignore[misc]


def test_settings_named_in_the_registry_exist() -> None:
    fields = settings_fields()
    for f in registry.FEATURES:
        for d in f.data:
            assert not d.retention.setting or d.retention.setting in fields, d
        for x in f.files:
            assert not x.retention.setting or x.retention.setting in fields, x
        for e in f.egress:
            if e.switch:
                assert isinstance(fields[e.switch], models.BooleanField), e
            assert e.required or e.switch or e.condition, f"{e.to}: what makes it optional?"
        for s in f.switches:
            assert not s.setting or s.setting in fields, s


def test_every_privacy_setting_is_in_the_registry() -> None:
    used = {
        name
        for f in registry.FEATURES
        for name in (
            [d.retention.setting for d in f.data]
            + [x.retention.setting for x in f.files]
            + [e.switch for e in f.egress]
            + [s.setting for s in f.switches]
        )
        if name
    }
    orphans = set(settings_fields()) - NOT_A_CHOICE - used
    assert not orphans, f"settings the disclosure never mentions: {sorted(orphans)}"


def resolve(path: str) -> object:
    module, _, attr = path.rpartition(".")
    try:
        target: object = import_module(module)
        return getattr(target, attr)
    except ModuleNotFoundError:  # a method: module.Class.method
        module, _, cls = module.rpartition(".")
        return getattr(getattr(import_module(module), cls), attr)


@pytest.mark.parametrize(
    "setting,path",
    [(s.setting, p) for f in registry.FEATURES for s in f.switches for p in s.read_by],
)
def test_each_switch_is_read_where_the_registry_says(setting: str, path: str) -> None:
    source = inspect.getsource(resolve(path))  # type: ignore[arg-type]
    assert f".{setting}" in source or f'"{setting}"' in source, f"{path} ignores {setting}"


def test_every_switch_setting_names_its_reader() -> None:
    for f in registry.FEATURES:
        for s in f.switches:
            assert bool(s.setting) == bool(s.read_by), s
            assert s.costs and s.how, s


def test_destinations_match_addresses_networks_and_ports() -> None:
    dns = Destination("9.9.9.9", 53, "any")
    assert dns.matches("9.9.9.9", 53, "udp") and dns.matches("9.9.9.9", 53, "tcp")
    assert not dns.matches("9.9.9.9", 443, "tcp") and not dns.matches("1.1.1.1", 53, "udp")
    lan = Destination("192.168.77.0/24")
    assert lan.matches("192.168.77.40", 22, "tcp") and not lan.matches("192.168.78.1", 22, "tcp")
    assert url_destination("https://lists.example/x.txt") == Destination(
        "lists.example", 443, "tcp"
    )
    assert url_destination("http://203.0.113.5:8080/") == Destination("203.0.113.5", 8080, "tcp")
    assert url_destination("/var/lists/local.txt") is None
    for d in (dns, lan, Destination("2001:db8::1", 53, "any"), Destination("fc00::/7")):
        assert Destination.parse(str(d)) == d
    assert url_destination("http://[2001:db8::1]:99/") == Destination("2001:db8::1", 99, "tcp")


@pytest.mark.django_db
def test_destinations_follow_the_configuration(settings, data_dir) -> None:
    from lanward.dnsfilter.models import BlockListSource

    settings.LANWARD_DNS_UPSTREAMS = ["192.0.2.53:53", "tls://192.0.2.54#dns.example"]
    settings.EMAIL_URL = ""
    settings.LANWARD_HOME_NETS = ("192.168.77.0/24",)
    BlockListSource.objects.create(name="a", source="http://198.51.100.7:8080/list.txt")
    BlockListSource.objects.create(name="off", source="http://198.51.100.8/x", enabled=False)
    BlockListSource.objects.create(name="file", source="/srv/list.txt")
    prefs = PrivacySettings.load()
    found = {str(d) for _, d in registry.allowed_destinations(prefs)}
    dns = {"any 192.0.2.53:53", "tcp 192.0.2.54:853"}
    assert found == dns | {"tcp 198.51.100.7:8080", "any 192.168.77.0/24"}
    prefs.blocklist_downloads = False
    prefs.save()
    found = {str(d) for _, d in registry.allowed_destinations(PrivacySettings.load())}
    assert found == dns | {"any 192.168.77.0/24"}  # the security check: configured, not a switch
    required = {str(d) for _, d in registry.allowed_destinations(prefs, required_only=True)}
    assert required == dns
