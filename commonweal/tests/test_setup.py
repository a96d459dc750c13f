"""First-run setup: places and sample listings once, then nothing."""

from io import StringIO
from typing import Any

import pytest
from django.core import management
from django.core.management import call_command

from directory.models import Organization
from places.models import Place


def _setup(**options: Any) -> str:
    out = StringIO()
    call_command("setup", stdout=out, **options)
    return out.getvalue()


def test_it_adds_sample_listings_to_an_empty_directory(places: dict[str, Place]) -> None:
    output = _setup(sample=40)
    assert "40 fictional sample listings" in output
    assert Organization.objects.filter(is_sample=True).count() >= 40
    assert not Organization.objects.filter(is_sample=False).exists()


def test_it_is_silent_and_changes_nothing_on_later_runs(places: dict[str, Place]) -> None:
    _setup(sample=40)
    count = Organization.objects.count()
    assert _setup(sample=40) == ""
    assert Organization.objects.count() == count


def test_it_never_adds_samples_beside_real_listings(places: dict[str, Place]) -> None:
    Organization.objects.create(name="A real group", slug="a-real-group")
    assert _setup(sample=40) == ""
    assert not Organization.objects.filter(is_sample=True).exists()


def test_it_loads_places_when_there_are_none(
    db: None, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = []
    real_call_command = management.call_command

    def fake_call_command(name: str, *args: Any, **kwargs: Any) -> None:
        # The whole world takes minutes to load; the small test tree stands in for it.
        if name == "places":
            loads.append(args)
            request.getfixturevalue("places")
            return
        real_call_command(name, *args, **kwargs)

    monkeypatch.setattr("commonweal.management.commands.setup.call_command", fake_call_command)
    output = _setup(sample=10)
    assert loads == [("load",)]
    assert "loading the world's places" in output
    assert Organization.objects.filter(is_sample=True).count() >= 10
    assert _setup(sample=10) == ""
    assert loads == [("load",)]


def test_it_can_leave_the_directory_empty(places: dict[str, Place]) -> None:
    assert _setup(sample=0) == ""
    assert not Organization.objects.exists()
