from django.contrib import admin

from .models import AffectedProduct, Finding, KnownExploited, ScanRun, Vulnerability


class AffectedInline(admin.TabularInline):
    model = AffectedProduct
    extra = 0


@admin.register(Vulnerability)
class VulnerabilityAdmin(admin.ModelAdmin):
    list_display = ("cve_id", "cvss3_score", "cvss2_score", "modified", "rejected")
    search_fields = ("cve_id", "description", "affected__product")
    inlines = (AffectedInline,)


@admin.register(KnownExploited)
class KnownExploitedAdmin(admin.ModelAdmin):
    list_display = ("cve_id", "vendor", "product", "date_added", "ransomware")
    search_fields = ("cve_id", "vendor", "product")


@admin.register(ScanRun)
class ScanRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "trigger", "status", "origin", "created", "finished", "progress")
    list_filter = ("trigger", "status")


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ("summary", "kind", "severity", "device", "address", "port", "cve", "fixed_at")
    list_filter = ("kind", "severity", "kev")
    search_fields = ("summary", "cve", "address")
