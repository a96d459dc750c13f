"""Input schemas for the assembly pages."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from assemblies.models import Method, PeopleMode, Proposal, Question, Stance
from directory.models import Organization

ZONE_HELP = _("The time on the clock where the meeting is.")


class AssemblyForm(forms.Form):
    people = forms.ChoiceField(label=_("Who takes part"), choices=PeopleMode.choices)
    support_threshold = forms.IntegerField(
        label=_("Supporters a proposal needs to reach the agenda"),
        min_value=1,
        max_value=100000,
        initial=3,
    )
    description = forms.CharField(
        label=_("What this assembly is for"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PersonAddForm(forms.Form):
    group = forms.ModelChoiceField(
        label=_("Their group"), queryset=Organization.objects.none(), empty_label=None
    )
    email = forms.EmailField(label=_("Their email address"))

    def __init__(self, *args: Any, groups: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("The proposal"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )


class AmendmentForm(forms.Form):
    text = forms.CharField(
        label=_("The text as you would have it"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    reason = forms.CharField(
        label=_("Why"), required=False, max_length=3000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AmendmentDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", _("Accept")), ("decline", _("Decline")), ("vote", _("Vote"))]
    )


class MirrorForm(forms.Form):
    group = forms.IntegerField(min_value=1)


class ArgumentForm(forms.Form):
    stance = forms.ChoiceField(label=_("This is"), choices=Stance.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("Your argument"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


def parse_options(raw: str) -> list[tuple[str, Decimal | None]]:
    """One option a line; "Name; 1200" gives a project its cost."""
    options: list[tuple[str, Decimal | None]] = []
    for line in raw.splitlines():
        label, _sep, cost = line.partition(";")
        if not label.strip():
            continue
        value = None
        if cost.strip():
            try:
                value = Decimal(cost.strip().replace(",", ""))
            except InvalidOperation as error:
                raise ValidationError(
                    _("“%(cost)s” is not an amount."), params={"cost": cost.strip()}
                ) from error
        options.append((label.strip(), value))
    return options


class QuestionForm(forms.Form):
    title = forms.CharField(label=_("The question"), max_length=300)
    method = forms.ChoiceField(label=_("How it is decided"), choices=Method.choices)
    options = forms.CharField(
        label=_("Options or candidates, one a line"),
        help_text=_("Not needed for consent or majority votes. For a budget: “Project; cost”."),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    seats = forms.IntegerField(label=_("Seats to fill"), min_value=1, max_value=500, initial=1)
    threshold = forms.DecimalField(
        label=_("Qualified majority (share of yes)"),
        required=False,
        min_value=Decimal("0.5"),
        max_value=Decimal(1),
        decimal_places=4,
        help_text=_("For example 0.6667 for two thirds."),
    )
    budget = forms.DecimalField(
        label=_("Budget to share"), required=False, min_value=0, decimal_places=2
    )
    max_score = forms.IntegerField(label=_("Highest score"), min_value=1, max_value=100, initial=5)
    quorum = forms.IntegerField(label=_("Ballots needed for a result"), min_value=0, initial=0)
    group_quorum = forms.IntegerField(label=_("Member groups needed"), min_value=0, initial=0)
    double_majority = forms.BooleanField(
        label=_("Needs a majority of people and of member groups"), required=False
    )
    weigh_groups_by_size = forms.BooleanField(label=_("Weigh groups by their size"), required=False)
    secret = forms.BooleanField(label=_("Secret ballot"), required=False)
    hide_results = forms.BooleanField(
        label=_("Hide results until the round closes"), required=False, initial=True
    )

    def clean_options(self) -> list[tuple[str, Decimal | None]]:
        return parse_options(self.cleaned_data.get("options") or "")


class OpenForm(forms.Form):
    opens_at = forms.DateTimeField(
        label=_("Opens at (leave empty to open now)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    closes_at = forms.DateTimeField(
        label=_("Closes at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=())

    def __init__(self, *args: Any, zones: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zones  # type: ignore[attr-defined]


class VoteForm(forms.Form):
    """Built for the question's method: the fields present are the ones it reads."""

    def __init__(
        self, *args: Any, question: Question, groups: list[Any], own: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.question = question
        choices = [("", _("Myself"))] if own else []
        choices += [(str(g.pk), g.name) for g in groups]
        self.fields["cast_for"] = forms.ChoiceField(
            label=_("Vote for"), choices=choices, required=False
        )
        options = list(question.options.all())
        self.options = options
        method = question.method
        if method == Method.CONSENT:
            self.fields["position"] = forms.ChoiceField(
                label=_("Your position"),
                widget=forms.RadioSelect,
                choices=[
                    ("consent", _("Consent")),
                    ("objection", _("Consent with an objection")),
                    ("stand_aside", _("Stand aside")),
                    ("block", _("Block")),
                ],
            )
            self.fields["reason"] = forms.CharField(
                label=_("Your reason (needed for an objection or a block)"),
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        elif method in (Method.MAJORITY, Method.QUALIFIED):
            self.fields["position"] = forms.ChoiceField(
                label=_("Your vote"),
                widget=forms.RadioSelect,
                choices=[("yes", _("Yes")), ("no", _("No")), ("abstain", _("Abstain"))],
            )
        elif method in (Method.SCHULZE, Method.RANKED_PAIRS, Method.IRV, Method.STV):
            for o in options:
                self.fields[f"rank_{o.pk}"] = forms.IntegerField(
                    label=o.label,
                    required=False,
                    min_value=1,
                    max_value=len(options),
                    help_text=_("1 for your first choice; leave empty to leave it unranked."),
                )
        elif method == Method.PLURALITY:
            self.fields["choice"] = forms.ChoiceField(
                label=_("Your choice"),
                widget=forms.RadioSelect,
                choices=[(str(o.pk), o.label) for o in options],
            )
        elif method == Method.SCORE:
            for o in options:
                self.fields[f"score_{o.pk}"] = forms.IntegerField(
                    label=o.label, required=False, min_value=0, max_value=question.max_score
                )
        else:
            self.fields["approvals"] = forms.MultipleChoiceField(
                label=_("The options you support"),
                widget=forms.CheckboxSelectMultiple,
                required=False,
                choices=[
                    (str(o.pk), f"{o.label} ({o.cost})" if o.cost is not None else o.label)
                    for o in options
                ],
            )

    def content(self) -> dict[str, Any]:
        data = self.cleaned_data
        method = self.question.method
        if "position" in self.fields:
            return {"position": data["position"]}
        if method == Method.PLURALITY:
            return {"choice": data["choice"]}
        if method == Method.SCORE:
            return {"scores": {str(o.pk): data.get(f"score_{o.pk}") or 0 for o in self.options}}
        if f"rank_{self.options[0].pk}" in self.fields if self.options else False:
            ranks: dict[int, list[str]] = {}
            for o in self.options:
                rank = data.get(f"rank_{o.pk}")
                if rank:
                    ranks.setdefault(rank, []).append(str(o.pk))
            return {"ranking": [ranks[r] for r in sorted(ranks)]}
        return {"approvals": data.get("approvals") or []}


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=(), help_text=ZONE_HELP)
    location = forms.CharField(label=_("Where (address or room)"), required=False, max_length=300)
    link = forms.URLField(label=_("Link to join online"), required=False, max_length=500)
    agenda = forms.CharField(
        label=_("Other agenda items, one a line"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    proposals = forms.ModelMultipleChoiceField(
        label=_("Proposals on the agenda"),
        queryset=Proposal.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, zones: list[Any], proposals: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zones  # type: ignore[attr-defined]
        self.fields["proposals"].queryset = proposals  # type: ignore[attr-defined]


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"),
        required=False,
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class AgendaDecisionForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.CharField(label=_("What the room decided"), max_length=5000)
    outcome = forms.ChoiceField(
        label=_("The proposal is"),
        required=False,
        choices=[
            ("", _("— not a proposal —")),
            ("adopted", _("Adopted")),
            ("rejected", _("Not adopted")),
        ],
    )
    votes_for = forms.IntegerField(label=_("For"), required=False, min_value=0)
    votes_against = forms.IntegerField(label=_("Against"), required=False, min_value=0)
    votes_abstain = forms.IntegerField(label=_("Abstained"), required=False, min_value=0)


class AttendForm(forms.Form):
    organization = forms.ChoiceField(label=_("Attending for"), required=False, choices=())

    def __init__(self, *args: Any, groups: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [("", _("Myself"))] + [  # type: ignore[attr-defined]
            (str(g.pk), g.name) for g in groups
        ]


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Ballot file (PrefLib or Pabulib)"))
