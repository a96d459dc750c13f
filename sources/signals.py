"""The hook between importing and resolving.

`records_imported` is sent by `sources.services.import_run_execute` after a run has written its
records, inside the run's transaction, with `run` (the ImportRun) and `record_ids` (ids of the
records the run created, changed or brought back). A receiver that takes over grouping records
into organizations returns `HANDLED`; when none does, every such record that has no organization
yet gets a new one of its own.
"""

from django.dispatch import Signal

records_imported = Signal()

HANDLED = "handled"
