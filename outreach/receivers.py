"""What happens in outreach's corner after an import: newly imported listings get issue areas."""

from typing import Any

from django.db import transaction

from directory import tagging
from sources.models import SourceRecord

# The sentence model reads a few dozen listings a second on a small machine (bench/tagging/); a
# larger import is tagged with the keyword rules at once, and `commonweal tag --all` refines it.
MODEL_LIMIT = 300


def tag_imported_organizations(sender: Any, run: Any, record_ids: list[int], **kwargs: Any) -> None:
    """Runs after the import has committed (and after resolution chose organizations), so it
    never slows the import's transaction or tags an organization that a rollback removed."""
    ids = list(record_ids)

    def tag() -> None:
        org_ids = set(
            SourceRecord.objects.filter(pk__in=ids, organization__isnull=False).values_list(
                "organization_id", flat=True
            )
        )
        if not org_ids:
            return
        method = None if len(org_ids) <= MODEL_LIMIT else "keywords"
        tagging.organizations_tag(organization_ids=org_ids, method=method)

    transaction.on_commit(tag)
