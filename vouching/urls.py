from django.urls import path

from vouching import views

app_name = "vouching"

urlpatterns = [
    path("groups/<slug:slug>/", views.group, name="group"),
    path("groups/<slug:slug>/vouch/", views.vouch, name="vouch"),
    path("groups/<slug:slug>/suspend/", views.suspend, name="suspend"),
    path("groups/<slug:slug>/tree/", views.tree, name="tree"),
    path("review/", views.review, name="review"),
    path("review/<int:pk>/", views.review_decide, name="review_decide"),
    path("coalitions/<slug:slug>/assembly-bar/", views.bar, name="bar"),
    path("pending/", views.pending, name="pending"),
    path("pending/<int:pk>/", views.pending_decide, name="pending_decide"),
    path("roles/grant/", views.role_grant, name="role_grant"),
    path("merge/", views.merge_request, name="merge_request"),
]
