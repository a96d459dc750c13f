"""Background work for web imports, through Django's tasks interface (see actions/tasks.py).

Neither task lets an import's failure escape as a crash: the run (or its preview) always ends
with an answer for its page, and the file is read in a child process under the import's
limits, so a hostile file cannot take the worker down with it.
"""

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.readers import ReadError
from sources.models import ImportRun, RunStatus
from sources.services import ImportFailed, import_run_execute, import_run_preview
from sources.services.uploads import import_run_preview_failed


@task()
def import_preview(run_id: int) -> None:
    run = ImportRun.objects.filter(pk=run_id, status=RunStatus.PENDING).first()
    if run is None:
        return
    try:
        import_run_preview(run=run)
    except Exception as exc:
        import_run_preview_failed(
            run=run, reason=_("The file could not be read (%(error)s).") % {"error": exc}
        )
        raise


@task()
def import_run(run_id: int) -> str:
    # A run is claimed by moving it from queued to running, so a task delivered twice runs once.
    if not ImportRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    ):
        return "skipped"
    run = ImportRun.objects.get(pk=run_id)
    try:
        import_run_execute(run=run, time_limit=settings.IMPORT_TIME_LIMIT)
    except (ReadError, ImportFailed):
        return "failed"  # the run row holds the reason for the coordinator
    return "done"


def preview_later(run_id: int) -> None:
    transaction.on_commit(lambda: import_preview.enqueue(run_id))


def run_later(run_id: int) -> None:
    transaction.on_commit(lambda: import_run.enqueue(run_id))
