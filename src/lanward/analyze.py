"""`lanward analyze`: the station pipeline, offline, on a capture file."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lanward.daemons.capture import CaptureError, analyze_file
from lanward.engine.detect.feeds import Indicators, parse_feed
from lanward.engine.pipeline import Engine, EngineConfig
from lanward.engine.rules import RuleSet, Variables


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def _fmt_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S") if ms else ""


def summary_text(result: dict[str, Any]) -> str:
    lines = [f"{result['flows']} flows, {len(result['devices'])} devices"]
    for d in result["devices"]:
        what = " ".join(x for x in (d["brand"], d["model"]) if x) or d["vendor"] or "unknown maker"
        lines.append(
            f"  {d['mac']}  {', '.join(d['ips'][:3]) or '-':<32} {d['type']:<18} {what}"
            + (f"  [{d['os']}]" if d["os"] else "")
            + (f'  "{d["hostname"]}"' if d["hostname"] else "")
        )
    if result["usage"]:
        lines.append("usage (top 15 by bytes):")
        top = sorted(result["usage"], key=lambda u: -(u["bytes_up"] + u["bytes_down"]))[:15]
        for u in top:
            lines.append(
                f"  {u['mac']}  {u['app']:<22} {u['category']:<16} up {_fmt_bytes(u['bytes_up']):>9}"
                f"  down {_fmt_bytes(u['bytes_down']):>9}  active {u['active_seconds'] // 60} min"
            )
    for n in result.get("notices", []):
        lines.append(f"note: {n['message']}")
    return "\n".join(lines)


def html_report(result: dict[str, Any], source: str) -> str:
    import django
    from django.apps import apps
    from django.conf import settings

    if not settings.configured:
        # Standalone: no project settings, no translations (which would need the app registry).
        settings.configure(USE_I18N=False)
    if not apps.ready:
        django.setup()
    from django.template import Context
    from django.template import Engine as TemplateEngine

    template_dir = Path(__file__).parent / "templates" / "reports"
    engine = TemplateEngine(dirs=[str(template_dir)], autoescape=True)
    template = engine.get_template("analyze.html")
    # Copies with display fields: the result itself is also printed as JSON (docs/analyze-json.md).
    usage = [
        {**u, "up_h": _fmt_bytes(u["bytes_up"]), "down_h": _fmt_bytes(u["bytes_down"])}
        for u in sorted(result["usage"], key=lambda u: -(u["bytes_up"] + u["bytes_down"]))
    ]
    devices = [
        {**d, "first_h": _fmt_time(d["first_seen"]), "last_h": _fmt_time(d["last_seen"])}
        for d in result["devices"]
    ]
    css = (Path(__file__).parent / "static" / "lanward" / "app.css").read_text()
    context = {"r": {**result, "devices": devices}, "usage": usage, "source": source, "css": css}
    return template.render(Context(context))


def report_problem(report: str) -> str:
    """Why the HTML report cannot be written there ('' when it can), checked before the work."""
    target = Path(report)
    if target.is_dir():
        return "it is a directory"
    if not target.parent.is_dir():
        return f"there is no folder {target.parent}"
    if not os.access(target.parent, os.W_OK) or (
        target.exists() and not os.access(target, os.W_OK)
    ):
        return "permission denied"
    return ""


def load_indicators(paths: list[str]) -> tuple[Indicators, list[str]]:
    """Parse the feed files; (indicators, error messages for the person running this)."""
    merged = Indicators()
    errors = []
    for name in paths:
        try:
            text = Path(name).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            errors.append(f"cannot read the indicator file {name}: {exc.strerror}. Check the path.")
            continue
        merged.merge(parse_feed(text, Path(name).name))
    return merged, errors


def load_rule_files(paths: list[str], home_nets: tuple[str, ...]) -> tuple[RuleSet, list[str]]:
    """lanward's own rules plus the files; (rule set, error messages for unreadable files)."""
    rules = RuleSet(Variables.for_home(home_nets))
    rules.add_builtin()
    errors = []
    for name in paths:
        try:
            text = Path(name).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            errors.append(f"cannot read the rule file {name}: {exc.strerror}. Check the path.")
            continue
        report = rules.add_text(text, Path(name).name)
        if not report.loaded and report.malformed and not report.skipped:
            errors.append(
                f"{name} holds no rule lanward can read ({report.malformed[0].describe()}). "
                "Is it a Suricata/Snort .rules file?"
            )
    return rules, errors


def run(args: Any) -> int:
    indicators = None
    if getattr(args, "indicators", None):
        indicators, errors = load_indicators(args.indicators)
        for message in errors:
            print(f"lanward analyze: {message}", file=sys.stderr)
        if errors:
            return 2
        for problem in indicators.problems[:20]:
            print(f"lanward analyze: skipped {problem}", file=sys.stderr)
        if len(indicators.problems) > 20:
            print(
                f"lanward analyze: skipped {len(indicators.problems) - 20} more unreadable "
                "indicator lines",
                file=sys.stderr,
            )
    home_nets = tuple(args.home_net) if args.home_net else EngineConfig.home_nets
    rules = None
    if getattr(args, "rules", None):
        rules, errors = load_rule_files(args.rules, home_nets)
        for message in errors:
            print(f"lanward analyze: {message}", file=sys.stderr)
        if errors:
            return 2
        for report in rules.report.files[1:]:
            print(f"lanward analyze: {report.summary()}", file=sys.stderr)
    config = EngineConfig(
        home_nets=home_nets,
        keep_flows=args.flows,
        max_flows=getattr(args, "max_flows", None) or EngineConfig.max_flows,
        indicators=indicators,
        rules=rules,
        gateways=tuple(getattr(args, "gateway", None) or ()),
    )
    engine = Engine(config)
    path = Path(args.capture)
    problem = report_problem(args.report) if args.report else ""
    if problem:
        print(
            f"lanward analyze: cannot write the report to {args.report}: {problem}. Pick a writable path.",
            file=sys.stderr,
        )
        return 2
    try:
        info = analyze_file(path, engine)
    except CaptureError as exc:
        print(f"lanward analyze: {exc}", file=sys.stderr)
        return 2
    result = engine.result()
    result["capture"] = {
        "file": str(path),
        "format": info.format,
        "link_type": info.link_name,
        "truncated": info.truncated,
    }
    if info.truncated:
        print(
            f"lanward analyze: {path} ends in a cut-off packet; reporting the {result['flows']} flows read before it.",
            file=sys.stderr,
        )
    if getattr(args, "store", False):
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lanward.settings")
        django.setup()
        from django.core.management import call_command

        from lanward.inventory import store

        call_command("migrate", interactive=False, verbosity=0)
        saved = store.save_all(engine)
        print(
            f"lanward analyze: saved {saved['devices']} devices and {saved['usage_rows']} usage rows to the console.",
            file=sys.stderr,
        )
    if args.report:
        try:
            Path(args.report).write_text(html_report(result, str(path)), encoding="utf-8")
        except OSError as exc:
            print(
                f"lanward analyze: cannot write the report to {args.report}: {exc.strerror}. Pick a writable path.",
                file=sys.stderr,
            )
            return 2
    if args.json:
        json.dump(result, sys.stdout, indent=2, sort_keys=False)
        sys.stdout.write("\n")
    else:
        print(summary_text(result))
    return 0
