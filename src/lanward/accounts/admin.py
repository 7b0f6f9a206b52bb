from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from . import lockout
from .models import AccountEvent, CodeFactor, LockState, User


class LockStateInline(admin.StackedInline):
    model = LockState
    can_delete = False
    readonly_fields = (
        "failures",
        "lockouts",
        "locked_until",
        "permanent",
        "last_failure_at",
        "last_failure_ip",
    )
    extra = 0


class AccountEventInline(admin.TabularInline):
    model = AccountEvent
    fields = ("created", "kind", "ip", "user_agent", "detail")
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0
    ordering = ("-created",)
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccountEvent]:
        return super().get_queryset(request).order_by("-created")


@admin.action(description="Unlock the selected accounts")
def unlock_accounts(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> None:
    count = sum(
        lockout.unlock(user, request, f"unlocked by administrator {request.user}")
        for user in queryset
    )
    modeladmin.message_user(request, f"{count} locked account(s) unlocked.", messages.SUCCESS)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = (
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "locked",
        "date_joined",
    )
    list_filter = ("is_active", "is_staff", "lock_state__permanent")
    search_fields = ("email", "first_name", "last_name")
    actions = [unlock_accounts]
    inlines = [LockStateInline, AccountEventInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            "Profile",
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "country",
                    "phone",
                    "phone_verified",
                    "recovery_email",
                )
            },
        ),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined", "merged_into")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined", "merged_into")

    @admin.display(boolean=True, description="Locked")
    def locked(self, obj: User) -> bool:
        state = getattr(obj, "lock_state", None)
        return bool(state and state.is_locked())


@admin.register(AccountEvent)
class AccountEventAdmin(admin.ModelAdmin):
    list_display = ("created", "user", "kind", "ip", "detail")
    list_filter = ("kind",)
    search_fields = ("user__email", "ip", "detail")
    date_hierarchy = "created"
    readonly_fields = ("user", "kind", "created", "ip", "user_agent", "detail")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CodeFactor)
class CodeFactorAdmin(admin.ModelAdmin):
    list_display = ("user", "method", "created")
