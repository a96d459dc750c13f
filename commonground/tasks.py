"""Background recompute of opinion maps, through Django's tasks interface.

Safe to run twice or late: each run maps all the votes there are when it starts.
"""

from django.tasks import task

from commonground import analysis


@task()
def conversation_recompute(conversation_id: int) -> int | None:
    result = analysis.analysis_compute(conversation_id)
    return result.pk if result is not None else None
