"""The outbox in the hub, for site coordinators: what the hub sent, held or could not send."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.services import audit_record
from outbox import selectors, services
from outbox.models import MessageState

PER_PAGE = 50


@require_GET
@login_required
def message_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    found = selectors.messages_for_user(request.user, state=state)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "state": state,
        "held": selectors.held(),
        "query": f"state={state}" if state else "",
    }
    return render(request, "outbox/list.html", context)


@require_GET
@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.get_message_for_user(request.user, pk)
    if not message.delivered:
        # The text may hold someone's sign-in or claim link: who read it is on record.
        audit_record(actor=request.user, action="outbox.read", target=message)  # type: ignore[arg-type]
    can_retry = services.relaying() and message.state in (
        MessageState.FAILED,
        MessageState.RETRYING,
        MessageState.HELD,
        MessageState.SENDING,
    )
    return render(request, "outbox/message.html", {"message": message, "can_retry": can_retry})


@require_POST
@login_required
def message_retry(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.get_message_for_user(request.user, pk)
    try:
        message = services.message_retry(user=request.user, message=message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        message.refresh_from_db()
        if message.delivered:
            messages.success(request, _("The message was sent."))
        else:
            messages.error(request, selectors.delivery_sentence(message.state))
    return redirect("outbox:message", pk=message.pk)
