"""Whom a plan's news goes to: the plan's owner and the coalition's admins, or a task's group.

Each is a notice in the hub and a mail, through the assemblies' `people_tell` (a handful of
people per event, so no background fan-out is needed)."""

from typing import Any

from django.urls import reverse

from accounts.models import User
from assemblies.notify import people_tell
from directory.models import Organization, OrganizationAdmin
from plans.models import Plan, Task


def plan_url(plan: Plan) -> str:
    return reverse("plans:plan", args=[plan.pk])


def task_url(task: Task) -> str:
    return reverse("plans:task", args=[task.pk])


def admins_of(organization_id: int) -> list[User]:
    ids = OrganizationAdmin.objects.filter(organization_id=organization_id).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def plan_people(plan: Plan) -> list[Any]:
    """The plan's owner and the admins of the coalition whose assembly made it."""
    return [plan.owner, *admins_of(plan.assembly.organization_id)]


def tell_plan(plan: Plan, *, text: str, url: str, exclude: Any = None) -> int:
    return people_tell(users=plan_people(plan), text=text, url=url, exclude=exclude)


def tell_group(group: Organization, *, text: str, url: str, exclude: Any = None) -> int:
    return people_tell(users=admins_of(group.pk), text=text, url=url, exclude=exclude)
