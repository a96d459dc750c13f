"""Helpers every app's forms share."""

from django.core.exceptions import ValidationError
from django.forms import Form


def errors_into(form: Form, error: ValidationError, fields: dict[str, str] | None = None) -> None:
    """Show a service's refusal on the form, on the field it names where the form has one.

    `fields` maps a service's name for a value to the form's field where they differ (the service
    says "notes", the form calls it "contact_notes"); anything the form has no field for is shown
    above the form, so no refusal is lost.
    """
    fields = fields or {}
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            target = fields.get(name, name)
            form.add_error(target if target in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)
