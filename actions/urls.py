from django.urls import path

from actions import views

app_name = "actions"

urlpatterns = [
    path("", views.call_list, name="list"),
    path("new/", views.call_new, name="new"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/send/", views.alert_send, name="alert_send"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path(
        "alerts/subscriptions/<int:pk>/cancel/",
        views.subscription_cancel,
        name="subscription_cancel",
    ),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("osdi/", views.osdi_entry, name="osdi"),
    path("osdi/events/", views.osdi_events, name="osdi_events"),
    path("osdi/events/<int:pk>/", views.osdi_event, name="osdi_event"),
    path("osdi/events/<int:pk>/attendances/", views.osdi_attendances, name="osdi_attendances"),
    path("places/<slug:slug>/calendar.ics", views.place_ics, name="place_ics"),
    path("organizations/<slug:slug>/calendar.ics", views.organization_ics, name="organization_ics"),
    path("<slug:slug>/", views.call_detail, name="call"),
    path("<slug:slug>/progress/", views.call_progress, name="progress"),
    path("<slug:slug>/rollup.json", views.call_rollup, name="rollup"),
    path("<slug:slug>/map.json", views.call_map, name="map"),
    path("<slug:slug>/calendar.ics", views.call_ics, name="call_ics"),
    path("<slug:slug>/gaps/", views.call_gaps, name="gaps"),
    path("<slug:slug>/after/", views.call_after, name="after"),
    path("<slug:slug>/edit/", views.call_edit, name="edit"),
    path("<slug:slug>/supersede/", views.call_edit, name="supersede"),
    path("<slug:slug>/cancel/", views.call_cancel, name="cancel"),
    path("<slug:slug>/commit/", views.commit, name="commit"),
    path("<slug:slug>/commitments/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<slug:slug>/commitments/<int:pk>/report/", views.report, name="report"),
]
