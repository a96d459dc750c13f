"""Who may do what with plans. A plan is run by its assembly's admins; a task is updated by the
admins of the group that owns it; everyone who may see the assembly may see its plans."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from assemblies import permissions as assembly_permissions
from assemblies.models import Assembly
from directory import permissions as directory_permissions
from plans.models import Plan, Task


def may_see(user: Any, assembly: Assembly) -> bool:
    return assembly_permissions.may_see(user, assembly)


def check_visible(user: Any, assembly: Assembly) -> None:
    if not may_see(user, assembly):
        raise Http404


def is_plan_admin(user: Any, plan: Plan) -> bool:
    return assembly_permissions.is_admin(user, plan.assembly)


def require_plan_admin(user: Any, plan: Plan) -> None:
    if not is_plan_admin(user, plan):
        raise PermissionDenied(
            _("Only the admins of %(name)s run its plans.") % {"name": plan.assembly}
        )


def is_owner_admin(user: Any, task: Task) -> bool:
    return directory_permissions.is_organization_admin(user, task.owner_group)


def require_owner_admin(user: Any, task: Task) -> None:
    if not is_owner_admin(user, task):
        raise PermissionDenied(
            _("Only the admins of %(group)s, which owns this task, can do this.")
            % {"group": task.owner_group}
        )
