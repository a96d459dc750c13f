"""Every write to calls, commitments, reports, subscriptions and alerts goes through here.

Commitments to one call are serialised by a row lock on the call (`select_for_update`; SQLite
already runs one writer at a time). Counters move with F() updates under that lock, and the go
transition is a conditional UPDATE ... WHERE state = 'gathering', so it happens exactly once
however many requests arrive together.

The parts: `calls` (issue, change, cancel, supersede), `commitments` (commit, withdraw, report,
tallies, the deadline tick) and `alerts` (alerts and subscriptions); `_shared` holds what
they share. Every name other apps use is exported here.
"""

from actions.services._shared import DEFAULT_WINDOW, EVERYWHERE, MAX_TURNOUT
from actions.services.alerts import (
    alert_send,
    place_copies_refresh,
    subscription_cancel,
    subscription_create,
)
from actions.services.calls import (
    CALL_FIELDS,
    RESERVED_SLUGS,
    call_cancel,
    call_create,
    call_supersede,
    call_update,
)
from actions.services.commitments import (
    call_tallies_rebuild,
    call_tick,
    commitment_make,
    commitment_report,
    commitment_withdraw,
    report_not_open_reason,
    thresholds_met,
)

__all__ = [
    "CALL_FIELDS",
    "DEFAULT_WINDOW",
    "EVERYWHERE",
    "MAX_TURNOUT",
    "RESERVED_SLUGS",
    "alert_send",
    "call_cancel",
    "call_create",
    "call_supersede",
    "call_tallies_rebuild",
    "call_tick",
    "call_update",
    "commitment_make",
    "commitment_report",
    "commitment_withdraw",
    "place_copies_refresh",
    "report_not_open_reason",
    "subscription_cancel",
    "subscription_create",
    "thresholds_met",
]
