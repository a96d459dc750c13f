from django.urls import path

from plans import views

app_name = "plans"

urlpatterns = [
    path("decisions/<int:pk>/", views.decision, name="decision"),
    path("<int:pk>/", views.plan, name="plan"),
    path("<int:pk>/tasks/new/", views.task_new, name="task_new"),
    path("<int:pk>/contribute/", views.contribute, name="contribute"),
    path("<int:pk>/uncontribute/", views.uncontribute, name="uncontribute"),
    path("<int:pk>/drop/", views.drop, name="drop"),
    path("tasks/<int:pk>/", views.task, name="task"),
    path("tasks/<int:pk>/respond/", views.task_respond, name="respond"),
    path("tasks/<int:pk>/update/", views.task_update, name="update"),
    path("tasks/<int:pk>/drop/", views.task_drop, name="task_drop"),
    path("tasks/<int:pk>/reassign/", views.task_reassign, name="reassign"),
    path("accountability/<slug:slug>/", views.accountability, name="accountability"),
]
