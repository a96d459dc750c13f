from django.urls import path

from directory import views

app_name = "directory"

urlpatterns = [
    path("directory/", views.search, name="search"),
    path("directory/add/", views.organization_add, name="organization_add"),
    path("organizations/<slug:slug>/edit/", views.organization_edit, name="organization_edit"),
    path("map/", views.map_page, name="map"),
    path("map/clusters.json", views.map_clusters, name="clusters"),
]
