from django.urls import path

from overview import views

app_name = "overview"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.place_overview, name="place"),
]
