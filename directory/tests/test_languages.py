"""The listing editor keeps languages as ISO 639 codes, like the import (issues 10 and 11)."""

import pytest

from directory.forms import OrganizationEditForm


def _form(languages: str) -> OrganizationEditForm:
    data = {"name": "Laramie Mutual Aid", "kind": "local_group", "status": "active"}
    return OrganizationEditForm({**data, "languages": languages}, user=None, issue_areas=[])


@pytest.mark.django_db
def test_it_accepts_codes_and_names_and_keeps_codes() -> None:
    form = _form("en, Spanish, ASL, pt-BR")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["languages"] == ["en", "es", "ase", "pt-BR"]


@pytest.mark.django_db
def test_it_refuses_what_is_no_language() -> None:
    form = _form("en, klingonish, xx")
    assert not form.is_valid()
    assert "klingonish" in str(form.errors["languages"]) and "xx" in str(form.errors["languages"])
