"""The rebuild as a background task, queued by the periodic chore (overview_tick)."""

from django.tasks import task

from overview.models import OverviewBuild


@task()
def overview_rebuild_task(build_id: int) -> int:
    from overview.services import overview_rebuild

    build = OverviewBuild.objects.filter(pk=build_id, finished_at__isnull=True).first()
    if build is None:
        return 0
    return overview_rebuild(build=build).places
