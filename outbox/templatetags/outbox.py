from typing import Any

from django import template

from outbox import selectors

register = template.Library()


@register.inclusion_tag("outbox/_banner_body.html", takes_context=True)
def outbox_banner(context: Any) -> dict[str, Any]:
    """For coordinators: mail is not being delivered (no mail server), or some messages could
    not be sent. Everyone else is told about their own message on the page that sent it."""
    request = context.get("request")
    user = getattr(request, "user", None)
    site = bool(getattr(user, "is_site_coordinator", False))
    coordinator = site or bool(
        user is not None and user.is_authenticated and user.regional_roles.exists()
    )
    if not coordinator:
        return {"show": False}
    held = selectors.held()
    failing = 0 if held else selectors.undelivered_count() if site else 0
    return {"show": held or failing > 0, "held": held, "failing": failing, "site": site}


@register.inclusion_tag("outbox/_delivery_note.html")
def delivery_note(state: str) -> dict[str, Any]:
    """The sentence a page adds after sending mail, when the mail did not simply leave."""
    return {"state": state, "sentence": selectors.delivery_sentence(state)}


@register.simple_tag
def mail_held() -> bool:
    """Whether the hub keeps mail instead of sending it (no mail server set up)."""
    return selectors.held()
