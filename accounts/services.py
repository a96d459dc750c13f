from typing import Any

from django.db import models, transaction

from accounts.models import AuditEvent, User


def audit_record(
    *, actor: User | None, action: str, target: models.Model, data: dict[str, Any] | None = None
) -> AuditEvent:
    """Append one event to the audit log. Called by services, never by views."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        data=data or {},
    )


@transaction.atomic
def user_signup(*, email: str, password: str, display_name: str = "") -> User:
    """Create a person's account from the sign-up form and note it in the audit log."""
    user = User.objects.create_user(email, password, display_name=display_name.strip())
    audit_record(actor=user, action="user.signup", target=user)
    return user
