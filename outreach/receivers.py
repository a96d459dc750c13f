"""What happens in outreach's corner after an import: newly imported listings get issue areas."""

from typing import Any

from django.db import transaction

from directory import tagging
from sources.services import organization_ids_of_records

# The sentence model reads a few dozen to a few hundred listings a second on a small machine
# (bench/tagging/). A small import is tagged by it at once; a larger one keeps the keyword
# areas it was given when its listings were created, and the model refines them in the
# background, a batch per task, so the import never waits for it.
MODEL_LIMIT = 300
BATCH = 500


def tag_imported_organizations(sender: Any, run: Any, record_ids: list[int], **kwargs: Any) -> None:
    """Runs after the import has committed (and after resolution chose organizations), so it
    never slows the import's transaction or tags an organization that a rollback removed."""
    ids = list(record_ids)

    def tag() -> None:
        org_ids = organization_ids_of_records(ids)
        if len(org_ids) <= MODEL_LIMIT:
            if org_ids:
                tagging.organizations_tag(organization_ids=org_ids)
            return
        from directory.tasks import issue_areas_suggest

        ordered = sorted(org_ids)
        for i in range(0, len(ordered), BATCH):
            issue_areas_suggest.enqueue(ordered[i : i + BATCH])

    transaction.on_commit(tag)
