from django.urls import path

from resolution import views

app_name = "resolution"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("pairs/<int:pk>/", views.pair_detail, name="pair"),
    path("organizations/<int:pk>/", views.organization_records, name="organization"),
]
