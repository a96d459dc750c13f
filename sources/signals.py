"""The hook between importing and resolving.

`records_imported` is sent by `sources.services.import_run_execute` after a run has written its
records, inside the run's transaction, with `run` (the ImportRun) and `record_ids` (ids of the
records the run created, changed or brought back). A receiver that takes over grouping records
into organizations returns `HANDLED`; when none does, every such record that has no organization
yet gets a new one of its own.

`records_unmerged` is sent when an import is undone, once per set of records that the run's
duplicate finding had moved out of an organization that no longer exists, with `records` (the
SourceRecords, all in one organization today) and `by` (who undoes). A receiver that splits
them off into an organization of their own returns `HANDLED`; when none does, the records get
a new organization together.
"""

from django.dispatch import Signal

records_imported = Signal()
records_unmerged = Signal()

HANDLED = "handled"
