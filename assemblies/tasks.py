"""Background work for assemblies, through Django's tasks interface (safe to run twice)."""

from django.tasks import task

from assemblies import notify


@task()
def announcement_fan_out(announcement_id: int) -> int:
    return notify.fan_out(announcement_id)


@task()
def rounds_tick() -> dict[str, int]:
    from assemblies.services import rounds_tick as tick

    return tick()
