"""Background work for the directory, through Django's tasks interface (see actions/tasks.py)."""

from django.tasks import task

from directory import tagging


@task()
def issue_areas_suggest(organization_ids: list[int]) -> int:
    """Suggest issue areas for a batch of listings (the sentence model when it is installed).
    Safe to run twice: a person's choice is never touched, and a second run changes nothing."""
    return tagging.organizations_tag(organization_ids=organization_ids).changed
