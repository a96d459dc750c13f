from django.urls import path

from programs import views

app_name = "programs"

urlpatterns = [
    path("", views.index, name="index"),
    path("planks/<int:pk>/", views.plank, name="plank"),
    path("planks/<int:pk>/endorse/", views.plank_endorse, name="plank_endorse"),
    path("sections/<int:pk>/amend/", views.section_amend, name="section_amend"),
    # Last, so the fixed addresses above are never read as an organization's slug.
    path("<slug:slug>/", views.program, name="program"),
    path("<slug:slug>/planks/new/", views.plank_new, name="plank_new"),
    path("<slug:slug>/vision/", views.vision, name="vision"),
    path("<slug:slug>/vision/new/", views.section_new, name="section_new"),
]
