from django import forms
from django.utils.translation import gettext_lazy as _


class LeaveForm(forms.Form):
    confirm = forms.BooleanField(
        required=True,
        label=_(
            "I understand: the listing is hidden and every admin of this group loses their role."
        ),
    )


class ExportForm(forms.Form):
    """No fields: the export is a POST so that a link elsewhere cannot start one."""
