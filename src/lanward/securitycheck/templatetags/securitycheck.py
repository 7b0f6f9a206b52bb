"""`{% security_panel device %}`: the device page's summary of its security-check findings."""

from __future__ import annotations

from typing import Any

from django import template

from lanward.securitycheck.models import Finding

register = template.Library()


@register.inclusion_tag("securitycheck/device_panel.html")
def security_panel(device: Any) -> dict[str, Any]:
    findings = list(Finding.objects.filter(device=device, fixed_at__isnull=True))
    findings.sort(key=lambda f: (-f.severity_rank, -(f.cvss or 0)))
    return {"device": device, "findings": findings[:5], "more": max(len(findings) - 5, 0)}
