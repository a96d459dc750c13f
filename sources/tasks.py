"""Background work for web imports, through Django's tasks interface (see actions/tasks.py)."""

from django.db import transaction
from django.tasks import task

from directory.readers import ReadError
from sources.models import ImportRun, RunStatus
from sources.services import ImportFailed, import_run_execute, import_run_preview


@task()
def import_preview(run_id: int) -> None:
    run = ImportRun.objects.filter(pk=run_id, status=RunStatus.PENDING).first()
    if run is not None:
        import_run_preview(run=run)


@task()
def import_run(run_id: int) -> str:
    # A run is claimed by moving it from queued to running, so a task delivered twice runs once.
    if not ImportRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING
    ):
        return "skipped"
    run = ImportRun.objects.get(pk=run_id)
    try:
        import_run_execute(run=run)
    except (ReadError, ImportFailed):
        return "failed"  # the run row holds the reason for the coordinator
    return "done"


def preview_later(run_id: int) -> None:
    transaction.on_commit(lambda: import_preview.enqueue(run_id))


def run_later(run_id: int) -> None:
    transaction.on_commit(lambda: import_run.enqueue(run_id))
