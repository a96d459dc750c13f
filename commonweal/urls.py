from django.contrib import admin
from django.urls import include, path

from commonweal import views

urlpatterns = [
    path("", views.home, name="home"),
    # Pages that gather places, listings and coalitions together (see commonweal/views.py).
    path("organizations/<slug:slug>/", views.organization_detail, name="organization"),
    path("places/<slug:slug>/", views.place_detail, name="place"),
    path("", include("directory.urls")),
    path("", include("places.urls")),
    path("coalitions/", include("coalitions.urls")),
    path("actions/", include("actions.urls")),
    path("outreach/", include("outreach.urls")),
    path("commonground/", include("commonground.urls")),
    path("duplicates/", include("resolution.urls")),
    path("sources/", include("sources.urls")),
    path("accounts/", include("accounts.urls")),
    path("outbox/", include("outbox.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]
