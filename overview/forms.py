"""The bird's-eye page's one input: which issue the map shows, and how the matrix is sorted."""

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import IssueArea


class OverviewForm(forms.Form):
    issue = forms.ChoiceField(label=_("Issue on the map"), required=False)
    sort = forms.CharField(required=False, max_length=60)
    order = forms.ChoiceField(required=False, choices=[("asc", "asc"), ("desc", "desc")])
    # "all": every sub-place in the matrix (up to its limit) rather than the busiest.
    rows = forms.ChoiceField(required=False, choices=[("", ""), ("all", "all")])

    def __init__(self, *args: object, issues: list[IssueArea], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        issue = self.fields["issue"]
        assert isinstance(issue, forms.ChoiceField)
        issue.choices = [("", _("Any issue"))] + [(a.slug, a.name) for a in issues]
        self._sorts = {"name", "total", *(a.slug for a in issues)}

    def clean_sort(self) -> str:
        value = self.cleaned_data.get("sort") or "name"
        # An unknown column sorts by name rather than failing: old links keep working.
        return value if value in self._sorts else "name"
