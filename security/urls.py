from django.urls import path

from security import views

app_name = "security"

urlpatterns = [
    path("", views.home, name="home"),
    path("verify/", views.verify, name="verify"),
    path("app/", views.totp_add, name="totp_add"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("remove/", views.remove, name="remove"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/sign-out/", views.session_sign_out, name="session_sign_out"),
    path("sessions/sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("coalitions/<slug:slug>/", views.coalition_rule, name="coalition_rule"),
]
