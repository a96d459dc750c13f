import json
from typing import Any

from django import forms

from directory.readers import (
    FIELD_ALIASES,
    FORMATS,
    NO_COLUMN,
    guess_mapping,
    mapping_from_json,
)
from sources.models import Source

MAX_UPLOAD_MB = 200
FIELD_LABELS = {
    "name": "Name",
    "address": "Address",
    "neighborhood": "Neighbourhood",
    "city": "City or town",
    "state": "State or region",
    "postcode": "ZIP or postcode",
    "country": "Country",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "website": "Website",
    "facebook": "Facebook",
    "email": "Public e-mail",
    "phone": "Public phone",
    "description": "Description",
    "tags": "Tags or categories",
    "languages": "Languages",
    "external_id": "The list's own id",
}


class PlainTextField(forms.CharField):
    """Text with NUL bytes taken out before it is checked: they mean nothing in a name and
    would otherwise refuse the whole form ("null characters are not allowed")."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.replace("\x00", "")
        return super().to_python(value)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        help_text="CSV or TSV, XLSX, ODS, GeoJSON, JSON, JSON lines or Murmurations profiles."
    )
    source_name = PlainTextField(
        label="Source",
        max_length=200,
        help_text="Name of the list. Importing into an existing source updates it.",
    )
    format = forms.ChoiceField(
        choices=[("", "Tell from the file")] + [(f, f.upper()) for f in FORMATS], required=False
    )
    mapping = forms.CharField(
        label="Column mapping (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            'Our field to your column, as JSON: {"name": "Group", "city": "Town"}; '
            "null for a field that should stay empty."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = list(Source.objects.values_list("name", flat=True)[:200])
        self.fields["source_name"].widget.attrs["list"] = "source-names"
        self.source_names = names

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(f"The file is larger than {MAX_UPLOAD_MB} MB.")
        return upload

    def clean_mapping(self) -> dict[str, str]:
        text = self.cleaned_data["mapping"].strip()
        if not text:
            return {}
        try:
            return mapping_from_json(json.loads(text))
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg}.") from exc
        except ValueError as exc:
            message = str(exc)
            raise forms.ValidationError(f"{message[:1].upper()}{message[1:]}.") from exc


class MappingForm(forms.Form):
    """One choice per field of ours, among the columns the file has."""

    def __init__(
        self, *args: Any, headers: list[str], initial_mapping: dict[str, str], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [(NO_COLUMN, "(none)")] + [(h, h) for h in headers]
        for name in FIELD_ALIASES:
            self.fields[name] = forms.ChoiceField(
                label=FIELD_LABELS.get(name, name),
                choices=choices,
                required=False,
                initial=initial_mapping.get(name, ""),
            )

    def mapping(self) -> dict[str, str]:
        """The columns chosen, and NO_COLUMN for each field set to "(none)" that the headers
        would otherwise fill: that choice must survive the next preview's guess."""
        guessed = guess_mapping(self.headers)
        return {
            ours: theirs or NO_COLUMN
            for ours, theirs in self.cleaned_data.items()
            if theirs or ours in guessed
        }
