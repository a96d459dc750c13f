from django.urls import path

from solidarity import views

app_name = "solidarity"

urlpatterns = [
    path("", views.request_list, name="list"),
    path("offers/", views.offer_list, name="offers"),
    path("requests/new/", views.request_new, name="request_new"),
    path("offers/new/", views.offer_new, name="offer_new"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/murmurations.json", views.request_profile, name="request_profile"),
    path("offers/<int:pk>/murmurations.json", views.offer_profile, name="offer_profile"),
    path("requests/<int:pk>/edit/", views.request_edit, name="request_edit"),
    path("offers/<int:pk>/edit/", views.offer_edit, name="offer_edit"),
    path("requests/<int:pk>/pledge/", views.pledge, name="pledge"),
    path("requests/<int:pk>/close/", views.request_close, name="request_close"),
    path("offers/<int:pk>/", views.offer_detail, name="offer"),
    path("offers/<int:pk>/withdraw/", views.offer_withdraw, name="offer_withdraw"),
    path("pledges/<int:pk>/", views.pledge_step, name="pledge_step"),
    path("matches/", views.matches, name="matches"),
    path("unmatched/", views.unmatched, name="unmatched"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign"),
    path("coalitions/<slug:slug>/", views.coalition_support, name="coalition_support"),
    path(
        "organizations/<slug:slug>/support-settings/",
        views.support_settings,
        name="support_settings",
    ),
    path("organizations/<slug:slug>/export.csv", views.organization_export, name="export"),
    path("murmurations.json", views.murmurations, name="murmurations"),
    path("calendar.ics", views.calendar, name="calendar"),
]
