"""The periodic check-in: "still active? anything changed?", answered from a mailed link.

The link works without signing in, so that answering takes one click in the mail and one on
the page; but only a POST from that page confirms, since mail scanners open every link in a
message and must not answer for the group.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from directory import freshness, permissions, services
from directory.forms import CheckinForm
from directory.models import Organization
from directory.selectors import get_organization_for_user


def _from_token(token: str) -> tuple[Organization, User]:
    """The listing and admin a token names; ValidationError if forged or expired, 403 if the
    person is no longer one of its admins."""
    org_id, user_id = freshness.checkin_token_read(token)
    org = Organization.objects.select_related("home_place").filter(pk=org_id).first()
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if org is None or user is None or not permissions.can_edit_organization(user, org):
        raise PermissionDenied(_("This check-in link is no longer valid for this listing."))
    return org, user


@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, token: str) -> HttpResponse:
    try:
        org, user = _from_token(token)
    except ValidationError as error:
        return render(
            request, "directory/checkin.html", {"error": " ".join(error.messages)}, status=400
        )
    form = CheckinForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            context = {"org": org, "form": form, "token": token}
            return render(request, "directory/checkin.html", context, status=400)
        if form.cleaned_data["answer"] == CheckinForm.STOPPED:
            services.organization_stop(user=user, organization=org, via="checkin")
            messages.success(
                request,
                _(
                    "Thank you. The listing now says the group is inactive; it is kept, not deleted."
                ),
            )
        else:
            services.organization_confirm(
                user=user, organization=org, via="checkin", still_active=True
            )
            messages.success(request, _("Thank you. The listing shows it was confirmed today."))
        return redirect("organization", slug=org.slug)
    context = {"org": org, "form": form, "token": token, "fresh": freshness.freshness_of(org)}
    return render(request, "directory/checkin.html", context)


@require_POST
@login_required
def confirm(request: HttpRequest, slug: str) -> HttpResponse:
    """An admin, signed in, confirms from the listing's own page."""
    org = get_organization_for_user(request.user, slug, write=True)
    services.organization_confirm(user=request.user, organization=org, via="page")
    messages.success(request, _("Thank you. The listing shows it was confirmed today."))
    return redirect("organization", slug=org.slug)
