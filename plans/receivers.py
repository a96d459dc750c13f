"""When an assembly adopts a proposal, its admins get a notice with a link to open its plan.

A plan is opened by a person rather than created here, because a plan needs someone who
answers for it and a round closed by the worker on time has nobody to own it; an empty
automatic plan would also make every decision look planned on the accountability page.
Only in-hub notices are written: this runs inside the deciding transaction, and mail to a
large coalition's admins does not belong there.
"""

from typing import Any

from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext as _

from assemblies.signals import proposal_decided
from coalitions.models import Notice
from directory.models import OrganizationAdmin


@receiver(proposal_decided, dispatch_uid="plans.proposal_adopted")
def proposal_adopted(sender: Any, proposal: Any, adopted: bool, actor: Any, **kwargs: Any) -> None:
    if not adopted:
        return
    url = reverse("plans:decision", args=[proposal.pk])
    text = _("Adopted: %(title)s. Turn it into a plan with tasks and owners.") % {
        "title": proposal.title
    }
    admins = OrganizationAdmin.objects.filter(
        organization_id=proposal.assembly.organization_id
    ).values_list("user_id", flat=True)
    Notice.objects.bulk_create(Notice(user_id=pk, text=text[:500], url=url) for pk in admins)
