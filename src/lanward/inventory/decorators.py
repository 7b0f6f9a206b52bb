"""Who may see and change the home's station data: members of the household (permissions)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _permission_view(
    perm: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perm(perm):
                return render(request, "inventory/no_access.html", status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# Viewing needs inventory.view_device; changing needs inventory.change_device. The first
# administrator has both; give others the "Household" group in the admin.
console_required = _permission_view("inventory.view_device")
console_edit_required = _permission_view("inventory.change_device")
