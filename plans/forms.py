"""Every input to the plan pages passes one of these forms."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Organization
from plans.models import MAX_WEIGHT, Plan, TaskStatus

WEIGHT_HELP = _("How much this counts towards the plan, from 1 to %(n)d.") % {"n": MAX_WEIGHT}


class PlanOpenForm(forms.Form):
    title = forms.CharField(label=_("Plan"), max_length=200)
    summary = forms.CharField(
        label=_("How it will be carried out"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone of the due dates"),
        choices=(),
        help_text=_("A task is overdue once its due date has passed on this clock."),
    )

    def __init__(self, *args: Any, zones: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zones  # type: ignore[attr-defined]


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    owner_group = forms.ModelChoiceField(
        label=_("Owner group"), queryset=Organization.objects.none()
    )
    due_on = forms.DateField(
        label=_("Due on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    weight = forms.IntegerField(
        label=_("Weight"), min_value=1, max_value=MAX_WEIGHT, initial=1, help_text=WEIGHT_HELP
    )

    def __init__(self, *args: Any, groups: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_group"].queryset = groups  # type: ignore[attr-defined]


class ReassignForm(forms.Form):
    owner_group = forms.ModelChoiceField(
        label=_("Owner group"), queryset=Organization.objects.none()
    )
    due_on = forms.DateField(
        label=_("Due on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, groups: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_group"].queryset = groups  # type: ignore[attr-defined]


class RespondForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", _("Accept")), ("decline", _("Decline"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


UPDATE_STATUSES = [
    (s.value, s.label)
    for s in (TaskStatus.OPEN, TaskStatus.DOING, TaskStatus.DONE, TaskStatus.BLOCKED)
]


class TaskUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Where it stands"), choices=UPDATE_STATUSES)
    progress = forms.IntegerField(
        label=_("Progress (%)"),
        min_value=0,
        max_value=100,
        initial=0,
        help_text=_("Done counts as 100%."),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        help_text=_("A line for the task's history: what happened, what is in the way."),
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Why"), max_length=500)


class DropPlanForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the plan is dropped"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ContributeForm(forms.Form):
    parent = forms.ModelChoiceField(label=_("Counts towards"), queryset=Plan.objects.none())
    weight = forms.IntegerField(
        label=_("Weight there"),
        min_value=1,
        max_value=MAX_WEIGHT,
        initial=1,
        help_text=_("This plan counts in the wider plan as one task of this weight."),
    )

    def __init__(self, *args: Any, parents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["parent"]
        field.queryset = parents  # type: ignore[attr-defined]
        field.label_from_instance = lambda p: f"{p.assembly.organization.name}: {p.title}"  # type: ignore[attr-defined]
