from django.urls import path

from commonground import views

app_name = "commonground"

urlpatterns = [
    path("", views.conversation_list, name="list"),
    path("new/", views.conversation_new, name="new"),
    path("<int:pk>/", views.conversation_detail, name="conversation"),
    path("<int:pk>/vote/", views.vote, name="vote"),
    path("<int:pk>/statements/", views.statement_submit, name="statement"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/results/status/", views.results_status, name="status"),
    path("<int:pk>/results/recompute/", views.recompute, name="recompute"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/moderate/", views.moderate, name="moderate"),
    path("<int:pk>/import/", views.polis_import, name="import"),
    path("<int:pk>/export/<str:which>.csv", views.polis_export, name="export"),
]
