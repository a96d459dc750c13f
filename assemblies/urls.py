from django.urls import path

from assemblies import views
from assemblies import views_delegates as d
from assemblies import views_questions as q

app_name = "assemblies"

urlpatterns = [
    path("", views.index, name="index"),
    path("proposals/<int:pk>/", views.proposal, name="proposal"),
    path("proposals/<int:pk>/support/", views.support, name="support"),
    path("proposals/<int:pk>/amend/", views.amend, name="amend"),
    path("proposals/<int:pk>/argue/", views.argue, name="argue"),
    path("amendments/<int:pk>/decide/", views.amendment_decide, name="amendment_decide"),
    path("arguments/<int:pk>/endorse/", views.endorse, name="endorse"),
    path("questions/<int:pk>/", q.question, name="question"),
    path("questions/<int:pk>/vote/", q.vote, name="vote"),
    path("questions/<int:pk>/open/", q.question_open, name="open"),
    path("questions/<int:pk>/close/", q.question_close, name="close"),
    path("questions/<int:pk>/mirror/", q.mirror, name="mirror"),
    path("questions/<int:pk>/upload/", q.ballots_upload, name="upload"),
    path("questions/<int:pk>/ballots.<str:fmt>", q.ballots_download, name="ballots"),
    path("concerns/<int:pk>/answer/", q.concern_answer, name="answer"),
    path("questions/<int:pk>/delegate-vote/<int:group>/", d.delegate_vote, name="delegate_vote"),
    path("delegates/<int:pk>/", d.record, name="delegate"),
    path("delegates/<int:pk>/mandate/", d.mandate, name="mandate"),
    path("delegates/<int:pk>/report/", d.report, name="report"),
    path("delegates/<int:pk>/recall/", d.recall, name="recall"),
    path("meetings/<int:pk>/", q.meeting, name="meeting"),
    path("meetings/<int:pk>/attend/", q.meeting_attend, name="attend"),
    path("meetings/<int:pk>/minutes/", q.meeting_minutes, name="minutes"),
    path("meetings/<int:pk>/decision/", q.meeting_decision, name="decision"),
    # Last, so that the fixed addresses above are never read as an organization's slug.
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/open/", views.new, name="new"),
    path("<slug:slug>/settings/", views.settings_edit, name="settings"),
    path("<slug:slug>/join/", views.join, name="join"),
    path("<slug:slug>/people/", views.person_add, name="person_add"),
    path("<slug:slug>/proposals/new/", views.proposal_new, name="proposal_new"),
    path("<slug:slug>/questions/new/", q.question_new, name="question_new"),
    path("<slug:slug>/meetings/new/", q.meeting_new, name="meeting_new"),
    path("<slug:slug>/delegates/", d.group_delegates, name="delegates"),
    path("<slug:slug>/delegates/settings/", d.delegation_settings, name="delegation"),
    path("<slug:slug>/delegates/appoint/", d.appoint, name="appoint"),
    path("<slug:slug>/delegates/elect/", d.elect, name="elect"),
]
