from django.contrib import admin
from django.urls import include, path

from commonweal import views

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers and feed readers ask for this address whatever the page's <link> says.
    path("favicon.ico", views.favicon),
    # Pages that gather places, listings and coalitions together (see commonweal/views.py).
    path("organizations/<slug:slug>/", views.organization_detail, name="organization"),
    path("places/<slug:slug>/", views.place_detail, name="place"),
    path("", include("directory.urls")),
    path("", include("places.urls")),
    path("coalitions/", include("coalitions.urls")),
    path("actions/", include("actions.urls")),
    path("solidarity/", include("solidarity.urls")),
    path("outreach/", include("outreach.urls")),
    path("connections/", include("connections.urls")),
    path("vouching/", include("vouching.urls")),
    path("overview/", include("overview.urls")),
    path("commonground/", include("commonground.urls")),
    path("assemblies/", include("assemblies.urls")),
    path("plans/", include("plans.urls")),
    path("programs/", include("programs.urls")),
    path("departures/", include("departures.urls")),
    path("duplicates/", include("resolution.urls")),
    path("sources/", include("sources.urls")),
    path("accounts/", include("accounts.urls")),
    path("security/", include("security.urls")),
    path("security/webauthn/", include("security.webauthn_urls")),
    path("outbox/", include("outbox.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]

# Styled error pages that say why (commonweal/errors.py).
handler400 = "commonweal.errors.bad_request"
handler403 = "commonweal.errors.permission_denied"
handler404 = "commonweal.errors.page_not_found"
handler500 = "commonweal.errors.server_error"
