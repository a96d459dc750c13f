"""The API's interactive documentation page, and the error answers its description lists."""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI, Swagger


class SessionSwagger(Swagger):
    """The interactive docs, able to try the writes too: they go with the browser session,
    so the page hands Swagger the CSRF token (ninja adds it only for API-wide session auth)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": True,
        }
        return render(request, self.template, context)


# What every error answer looks like: `detail` is a sentence, or a list of {loc, msg, type}.
ERROR_BODY = {
    "type": "object",
    "properties": {"detail": {"anyOf": [{"type": "string"}, {"type": "array", "items": {}}]}},
    "required": ["detail"],
}
ERRORS = {
    "400": "The input names nothing, or a service refused it; `detail` says which field.",
    "403": "Not allowed for you, or the browser session's CSRF token is missing.",
    "404": "Nothing by that key, or nothing you may see.",
    "422": "The input does not fit the declared types or bounds.",
}
NEEDS_SESSION = {"401": "Sign in first: writes use the browser session."}


class DescribedAPI(NinjaAPI):
    """The exception handlers below answer 400, 403, 404 and 422 for every operation and 401
    for session-only ones, outside any operation's own `response=`; the description lists them
    so clients (and the fuzzing test) know every status code they can receive."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                answers = dict(ERRORS, **(NEEDS_SESSION if operation.get("security") else {}))
                for code, text in answers.items():
                    operation["responses"].setdefault(
                        code,
                        {
                            "description": text,
                            "content": {"application/json": {"schema": ERROR_BODY}},
                        },
                    )
        return schema
