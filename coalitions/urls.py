from django.urls import path

from coalitions import views, views_people

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
    # Last, so that the fixed addresses above are never read as a coalition's slug.
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/members.json", views.members_map, name="members_map"),
    path("<slug:slug>/join/", views.join, name="join"),
    path("<slug:slug>/invite/", views.invite, name="invite"),
]
