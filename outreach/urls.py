from django.urls import path

from outreach import views, views_stale

app_name = "outreach"

urlpatterns = [
    path("", views.entry_list, name="list"),
    path("stale/", views_stale.stale, name="stale"),
    path("export.csv", views.entry_export, name="export"),
    path("add/", views.entry_add, name="entry_add"),
    path("<int:pk>/", views.entry_detail, name="entry"),
    path("<int:pk>/stage/", views.entry_stage, name="entry_stage"),
    path("claims/", views.claim_queue, name="claims"),
    path("claims/<int:pk>/", views.claim_decide, name="claim_decide"),
    path("requests/", views.claim_requests, name="requests"),
    path("claim/<slug:slug>/", views.claim_start, name="claim"),
    path("claim/confirm/<str:token>/", views.claim_confirm, name="claim_confirm"),
    path("listing/<slug:slug>/edit/", views.listing_edit, name="listing_edit"),
    path("listing/<slug:slug>/dissolve/", views.dissolve, name="dissolve"),
    path("listing/<slug:slug>/issue-areas/", views.issue_areas, name="issue_areas"),
]
