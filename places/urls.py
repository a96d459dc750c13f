from django.urls import path

from places import views

app_name = "places"

urlpatterns = [
    path("places/", views.index, name="index"),
    path("place-suggestions/", views.suggest, name="suggest"),
]
