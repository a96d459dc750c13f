from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from directory.models import Organization


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("same", _("The same group")), ("different", _("Different groups"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class MergeForm(forms.Form):
    other = forms.IntegerField(
        label="Organization to merge into this one (its number)", min_value=1
    )
    reason = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_other(self) -> Organization:
        org = Organization.objects.filter(pk=self.cleaned_data["other"]).first()
        if org is None:
            raise ValidationError("There is no organization with that number.")
        return org


class SplitForm(forms.Form):
    records = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple, label="Records to take out"
    )
    reason = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: object, record_choices: list[tuple[int, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["records"].choices = record_choices  # type: ignore[attr-defined]
