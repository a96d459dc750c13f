from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class TOTPConfirmForm(CodeForm):
    device = forms.IntegerField(widget=forms.HiddenInput)


class RemoveForm(forms.Form):
    device = forms.CharField(max_length=100, widget=forms.HiddenInput)


class SessionForm(forms.Form):
    session = forms.IntegerField(widget=forms.HiddenInput)


class CoalitionRuleForm(forms.Form):
    required = forms.BooleanField(required=False)
