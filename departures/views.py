"""A group's admins take its data and leave: one page, two forms."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from departures import services
from departures.forms import ExportForm, LeaveForm
from directory import permissions
from directory.models import Organization
from directory.selectors import get_organization_for_user


def _admin_org(request: HttpRequest, slug: str) -> Organization:
    org = get_organization_for_user(request.user, slug)
    if not permissions.is_organization_admin(request.user, org):
        raise PermissionDenied(_("Only this group's admins can export its data or leave the hub."))
    return org


@require_GET
@login_required
def organization_departure(request: HttpRequest, slug: str) -> HttpResponse:
    org = _admin_org(request, slug)
    return render(
        request,
        "departures/organization.html",
        {"organization": org, "export_form": ExportForm(), "leave_form": LeaveForm()},
    )


@require_POST
@login_required
def organization_export_download(request: HttpRequest, slug: str) -> HttpResponse:
    org = _admin_org(request, slug)
    ExportForm(request.POST).is_valid()
    body = services.organization_export(user=request.user, organization=org)
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{org.slug}-export.zip"'
    return response


@require_POST
@login_required
def organization_leave_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    org = _admin_org(request, slug)
    form = LeaveForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "departures/organization.html",
            {"organization": org, "export_form": ExportForm(), "leave_form": form},
            status=400,
        )
    services.organization_leave(user=request.user, organization=org)
    messages.success(
        request, _("%(name)s has left the hub: its listing is hidden.") % {"name": org.name}
    )
    return redirect("home")
