from django.urls import path

from departures import views

app_name = "departures"

urlpatterns = [
    path("<slug:slug>/", views.organization_departure, name="organization"),
    path("<slug:slug>/export/", views.organization_export_download, name="export"),
    path("<slug:slug>/leave/", views.organization_leave_confirm, name="leave"),
]
