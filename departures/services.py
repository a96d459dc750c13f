"""A group's export of everything it owns, and its leaving the hub. Both audited."""

import csv
import io
import json
import zipfile
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from accounts.services import audit_record
from commonweal.lib import csvsafe
from departures import selectors
from directory import permissions
from directory.models import Organization, OrganizationAdmin
from directory.services import directory_touch
from solidarity.models import SupportOffer, SupportRequest


def _require_admin(user: Any, org: Organization) -> None:
    if not permissions.is_organization_admin(user, org):
        raise PermissionDenied("Only this group's admins can do this.")


def _csv(table: selectors.Table) -> str:
    header, rows = table
    out = io.StringIO()
    # Every cell is neutralised: a name typed as a formula must not run in a spreadsheet.
    writer = csvsafe.writer(out, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def organization_export(*, user: Any, organization: Organization) -> bytes:
    """A zip of everything the group owns: its listing as JSON, the rest as CSV."""
    _require_admin(user, organization)
    files: dict[str, str] = {
        "listing.json": json.dumps(
            selectors.listing(organization), cls=DjangoJSONEncoder, indent=2
        ),
        "admins.csv": _csv(selectors.admins(organization, user)),
        "coalitions.csv": _csv(selectors.coalition_links(organization)),
        "commitments.csv": _csv(selectors.commitments(organization)),
        "requests.csv": _csv(selectors.postings(SupportRequest, organization)),
        "offers.csv": _csv(selectors.postings(SupportOffer, organization)),
        "pledges.csv": _csv(selectors.pledges(organization)),
        "decisions.csv": _csv(selectors.decisions(organization)),
    }
    files.update(selectors.ballot_files(organization, user))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(f"{organization.slug}/{name}", text)
    audit_record(
        actor=user,
        action="organization.exported",
        target=organization,
        data={"files": sorted(files)},
    )
    return buffer.getvalue()


@transaction.atomic
def organization_leave(*, user: Any, organization: Organization) -> int:
    """Hide the listing and end every admin role in it; returns how many roles ended. The rows
    stay (calls and pledges other groups count on keep their history), but nobody acts for the
    group any more and it is no longer listed."""
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    _require_admin(user, organization)
    roles = OrganizationAdmin.objects.filter(organization=organization)
    names = [r.user.display_name or f"#{r.user_id}" for r in roles.select_related("user")]
    ended, _ = roles.delete()
    Organization.objects.filter(pk=organization.pk).update(
        is_hidden=True, updated_at=timezone.now()
    )
    # Searches, counts and the map are cached per directory version: they drop it at once.
    directory_touch()
    audit_record(
        actor=user,
        action="organization.left_hub",
        target=organization,
        data={"admins_removed": names},
    )
    return ended
