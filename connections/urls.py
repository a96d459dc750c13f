from django.urls import path

from connections import views

app_name = "connections"

urlpatterns = [
    path("", views.index, name="index"),
    path("introductions/new/", views.introduction_new, name="introduction_new"),
    path("introductions/<int:pk>/", views.introduction, name="introduction"),
    path("introductions/<int:pk>/answer/", views.introduction_answer, name="answer"),
    path("introductions/<int:pk>/outcome/", views.introduction_outcome, name="outcome"),
    path("groups/<slug:slug>/", views.group, name="group"),
    path("groups/<slug:slug>/dismiss/", views.dismiss, name="dismiss"),
    path("groups/<slug:slug>/restore/", views.restore, name="restore"),
    path("coalitions/<slug:slug>/", views.coalition, name="coalition"),
]
