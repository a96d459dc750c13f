"""Every write about sources, one module per job:

- `runs`: sources and import runs, their progress, and the run itself (one transaction);
- `uploads`: files uploaded through the pages, their preview, remapping, confirm and cancel;
- `cleaning`: rows as read become the normalized values of records;
- `reader`: large files read and cleaned by a forked second process;
- `geocoding`: where a record lies, with a memory of places already looked up;
- `organizations`: listings made from records and kept up to date with them;
- `provenance`: who said what about each field, and which origin wins it;
- `records`: the run itself, rows into records (grouping: rows of one group into one record);
- `undo`: an import run rolled back.

The names below are the ones other apps use; import them from here.
"""

from sources.services.liveness import import_run_reap, import_runs_reap
from sources.services.organizations import (
    organization_apply_records,
    organization_ids_of_records,
    organizations_apply_records,
    organizations_for_records,
)
from sources.services.provenance import (
    IMPORT_FIELDS,
    SETTABLE_FIELDS,
    field_clear,
    field_set,
)
from sources.services.runs import (
    ImportFailed,
    ImportOutcome,
    import_file,
    import_run_create,
    import_run_execute,
    progress_path,
    run_progress,
    source_get_or_create,
)
from sources.services.undo import can_undo, import_run_undo
from sources.services.uploads import (
    PREVIEW_ROWS,
    import_run_cancel,
    import_run_confirm,
    import_run_preview,
    import_run_remap,
    import_upload,
    source_delete,
)

__all__ = [
    "IMPORT_FIELDS",
    "PREVIEW_ROWS",
    "SETTABLE_FIELDS",
    "ImportFailed",
    "ImportOutcome",
    "field_clear",
    "field_set",
    "import_file",
    "import_run_cancel",
    "import_run_confirm",
    "import_run_create",
    "import_run_execute",
    "import_run_preview",
    "import_run_remap",
    "import_run_undo",
    "can_undo",
    "import_upload",
    "organization_apply_records",
    "organization_ids_of_records",
    "organizations_apply_records",
    "organizations_for_records",
    "progress_path",
    "run_progress",
    "source_delete",
    "source_get_or_create",
    "import_run_reap",
    "import_runs_reap",
]
