from django.urls import path

from sources import views

app_name = "sources"

urlpatterns = [
    path("", views.source_list, name="list"),
    path("import/", views.import_new, name="import"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/status/", views.run_status, name="run_status"),
    path("runs/<int:pk>/confirm/", views.run_confirm, name="run_confirm"),
    path("runs/<int:pk>/cancel/", views.run_cancel, name="run_cancel"),
    path("runs/<int:pk>/undo/", views.run_undo, name="run_undo"),
    path("runs/<int:pk>/mapping/", views.run_mapping, name="run_mapping"),
    path("<slug:slug>/", views.source_detail, name="source"),
    path("<slug:slug>/delete/", views.source_delete, name="source_delete"),
]
