"""Background work for assemblies, through Django's tasks interface (safe to run twice)."""

from django.tasks import task

from assemblies import notify


@task()
def announcement_fan_out(announcement_id: int) -> int:
    return notify.fan_out(announcement_id)


@task()
def questions_close_due() -> int:
    from assemblies.services import questions_close_due as close

    return close()
