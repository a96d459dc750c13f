"""Error pages in the site's own style that say why, instead of the bare ones Django ships.

Each one tells the person what happened and what they can do next: sign in, go back, ask the
group's admins. Permission errors carry the reason the service or access function gave.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template import loader
from django.utils.translation import gettext as _


def _reason(exception: Any) -> str:
    # Django passes the exception; its message is the reason the code gave when it refused.
    text = str(exception or "").strip()
    # Http404 from a URL that resolves nothing carries a dict-like debug message, not a reason.
    return "" if not text or text.startswith("{") else text


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    context = {"reason": _reason(exception)}
    return HttpResponse(loader.render_to_string("403.html", context, request), status=403)


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    context = {"reason": _reason(exception)}
    return HttpResponse(loader.render_to_string("404.html", context, request), status=404)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return HttpResponse(loader.render_to_string("400.html", {}, request), status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: whatever broke (the database, a context processor) must not break
    # the error page too. The page needs only the site's name and its stylesheet.
    context = {"SITE_NAME": settings.SITE_NAME}
    return HttpResponse(loader.render_to_string("500.html", context), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid security token: most often a page left open across a
    sign-out or sign-in, or cookies blocked. Say so, rather than Django's bare 403."""
    context = {
        "reason": _(
            "This form could not be sent because the page it came from has expired — for "
            "example after signing in or out in another tab — or because this browser does "
            "not keep cookies for this site. Go back, reload the page and send it again; what "
            "you typed may still be in the form."
        ),
        "csrf": True,
    }
    return HttpResponse(loader.render_to_string("403.html", context, request), status=403)


class MethodNotAllowedPage:
    """Django answers a wrong method (a typed or bookmarked address of a form's target, such as
    /accounts/logout/) with an empty 405. A person in a browser gets a page saying what the
    address is for; API clients and HTMX requests keep the bare answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            isinstance(response, HttpResponseNotAllowed)
            and not response.content
            and request.method == "GET"
            and "text/html" in request.headers.get("Accept", "")
            and not request.headers.get("HX-Request")
        ):
            page = HttpResponse(loader.render_to_string("405.html", {}, request), status=405)
            page["Allow"] = response["Allow"]
            return page
        return response
