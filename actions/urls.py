from django.http import HttpResponse
from django.urls import path

app_name = "actions"


def _todo(request, **kwargs):  # pragma: no cover - replaced by views
    return HttpResponse("")


urlpatterns = [
    path("<slug:slug>/", _todo, name="call"),
    path("alerts/unsubscribe/<str:token>/", _todo, name="unsubscribe"),
]
