from django.urls import path

from directory import views, views_checkin

app_name = "directory"

urlpatterns = [
    path("directory/", views.search, name="search"),
    path("directory/add/", views.organization_add, name="organization_add"),
    path("organizations/<slug:slug>/edit/", views.organization_edit, name="organization_edit"),
    path("organizations/<slug:slug>/confirm/", views_checkin.confirm, name="confirm"),
    path("directory/checkin/<str:token>/", views_checkin.checkin, name="checkin"),
    path("map/", views.map_page, name="map"),
    path("map/clusters.json", views.map_clusters, name="clusters"),
]
