from django.urls import path

from coalitions import views, views_clusters, views_people

app_name = "coalitions"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.start, name="start"),
    path("notices/", views_people.notice_list, name="notices"),
    path("notices/read/", views_people.notices_read, name="notices_read"),
    path("memberships/<int:pk>/", views_people.membership, name="membership"),
    path("memberships/<int:pk>/answer/", views_people.membership_answer, name="answer"),
    path("memberships/<int:pk>/leave/", views_people.membership_leave, name="leave"),
    path("memberships/<int:pk>/remove/", views_people.membership_remove, name="remove"),
    path("coordinators/", views_people.coordinators, name="coordinators"),
    path("coordinators/appoint/", views_people.coordinator_appoint, name="appoint"),
    path(
        "coordinators/<int:pk>/remove/",
        views_people.coordinator_remove,
        name="coordinator_remove",
    ),
    path("admins/join/<str:token>/", views_people.admin_join, name="admin_join"),
    path("admins/<slug:slug>/", views_people.admins, name="admins"),
    path("leads/<int:pk>/answer/", views_clusters.lead_answer, name="lead_answer"),
    path("leads/<int:pk>/step-down/", views_clusters.lead_step_down, name="lead_step_down"),
    path("leads/<int:pk>/withdraw/", views_clusters.lead_withdraw, name="lead_withdraw"),
    # Last, so that the fixed addresses above are never read as a coalition's slug.
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/members.json", views.members_map, name="members_map"),
    path("<slug:slug>/join/", views.join, name="join"),
    path("<slug:slug>/invite/", views.invite, name="invite"),
    path("<slug:slug>/clusters/<slug:issue>/", views_clusters.cluster, name="cluster"),
    path(
        "<slug:slug>/clusters/<slug:issue>/members.json",
        views_clusters.cluster_map,
        name="cluster_map",
    ),
    path(
        "<slug:slug>/clusters/<slug:issue>/choose/",
        views_clusters.cluster_choose,
        name="cluster_choose",
    ),
    path(
        "<slug:slug>/clusters/<slug:issue>/lead/",
        views_clusters.lead_volunteer,
        name="lead_volunteer",
    ),
]
