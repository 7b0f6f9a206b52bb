"""The registry rendered for people: a dict (the privacy page, --json), Markdown and plain text.

Everything here comes from lanward.privacy.registry and the household's current settings, so
the disclosure is always what the code does.
"""

from __future__ import annotations

import logging
from typing import Any

from .declare import SCOPES, Egress, Retention, Switch
from .registry import CACHE_NOTE, FEATURES, FORWARDING, NOT_PERSONAL, TELEMETRY

log = logging.getLogger("lanward.privacy")

HOURS = {"flow_hours"}


def _current_prefs() -> Any:
    from django.db import DatabaseError

    from .models import PrivacySettings

    try:
        return PrivacySettings.load()
    except DatabaseError:  # not migrated yet: describe the defaults only
        return None


def _retention(r: Retention, prefs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"rule": r.rule, "setting": r.setting, "default": r.default}
    if r.setting and prefs is not None:
        value = getattr(prefs, r.setting)
        unit = "hours" if r.setting in HOURS else "days"
        out["now"] = "never" if value == 0 else f"{value} {unit}"
    return out


def _switch_state(s: Switch, prefs: Any) -> str:
    if not s.setting or prefs is None:
        return ""
    value = getattr(prefs, s.setting)
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(dict(prefs._meta.get_field(s.setting).choices).get(value, value))


def _destinations(e: Egress) -> list[str]:
    try:
        return [str(d) for d in e.destinations()]
    except Exception:  # noqa: BLE001 - e.g. no database yet; the plain words still say where
        log.debug("no destinations for %s", e.to, exc_info=True)
        return []


def build(prefs: Any = "load") -> dict[str, Any]:
    """The whole disclosure as plain data (JSON-ready)."""
    if prefs == "load":
        prefs = _current_prefs()
    features = []
    for f in FEATURES:
        features.append(
            {
                "key": f.key,
                "name": f.name,
                "purpose": f.purpose,
                "stores": [
                    {
                        "model": d.model,
                        "what": d.what,
                        "fields": list(d.fields),
                        "scope": d.scope,
                        "kept": _retention(d.retention, prefs),
                    }
                    for d in f.data
                ],
                "files": [
                    {"where": x.where, "what": x.what, "kept": _retention(x.retention, prefs)}
                    for x in f.files
                ],
                "leaves_the_station": [
                    {
                        "to": e.to,
                        "why": e.why,
                        "sends": e.sends,
                        "required": e.required,
                        "switch": e.switch,
                        "condition": e.condition,
                        "allowed_now": e.allowed(prefs) if prefs is not None else None,
                        "destinations_now": _destinations(e),
                    }
                    for e in f.egress
                ],
                "switches": [
                    {
                        "how": s.how,
                        "costs": s.costs,
                        "setting": s.setting,
                        "now": _switch_state(s, prefs),
                    }
                    for s in f.switches
                ],
            }
        )
    return {
        "telemetry": TELEMETRY,
        "scopes": SCOPES,
        "features": features,
        "not_personal": NOT_PERSONAL,
        "cache": CACHE_NOTE,
        "forwarding": FORWARDING,
    }


def _kept(k: dict[str, Any]) -> str:
    text = k["rule"]
    if k.get("now"):
        text += f" (now: {k['now']})"
    if k.get("default"):
        text += f"; default {k['default']}"
    return text


def _egress_line(e: dict[str, Any]) -> str:
    need = "required" if e["required"] else f"optional (switch: {e['switch'] or 'configuration'})"
    text = f"to {e['to']}: {e['why']}. Sends {e['sends']}. {need.capitalize()}."
    if e["condition"]:
        text += f" {e['condition'][0].upper()}{e['condition'][1:]}."
    if e["allowed_now"] is False:
        text += " Switched off now."
    if e["destinations_now"]:
        text += f" Now: {', '.join(e['destinations_now'])}."
    return text


def markdown(data: dict[str, Any] | None = None) -> str:
    data = data or build()
    out = ["# What lanward stores and sends", "", f"**Telemetry:** {data['telemetry']}", ""]
    out += [data["forwarding"], ""]
    for f in data["features"]:
        out += [f"## {f['name']}", "", f["purpose"], ""]
        if f["stores"]:
            out += ["**Stores**", ""]
            for d in f["stores"]:
                fields = ", ".join(f"`{x}`" for x in d["fields"])
                out.append(
                    f"- {d['what']} (`{d['model']}`: {fields}; {d['scope']}). "
                    f"Kept: {_kept(d['kept'])}."
                )
            out.append("")
        if f["files"]:
            out += ["**Files in the data folder**", ""]
            out += [f"- `{x['where']}`: {x['what']}. Kept: {_kept(x['kept'])}." for x in f["files"]]
            out.append("")
        out += ["**Leaves the station**", ""]
        out += [f"- {_egress_line(e)}" for e in f["leaves_the_station"]] or ["- Nothing."]
        out.append("")
        if f["switches"]:
            out += ["**Switching it off**", ""]
            for s in f["switches"]:
                now = f" (now: {s['now']})" if s["now"] else ""
                out.append(f"- {s['how']}{now}. Costs: {s['costs']}.")
            out.append("")
    out += ["## Not personal data", ""]
    out += [f"- `{label}`: {why}" for label, why in data["not_personal"].items()]
    out += ["", data["cache"], ""]
    return "\n".join(out)


def text(data: dict[str, Any] | None = None) -> str:
    """Plain text for a terminal: the Markdown without its marks."""
    lines = []
    for line in markdown(data).splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip()
            lines += [title, ("=" if line.startswith("# ") else "-") * len(title)]
        else:
            lines.append(line.replace("**", "").replace("`", ""))
    return "\n".join(lines)
