from django.urls import path

from coalitions import views

app_name = "coalitions"

urlpatterns = [
    path("", views.index, name="index"),
]
