"""Every write of the solidarity app: postings, pledges and their states, campaigns.

Each service checks permission on every object it touches, writes the audit log, and tells the
other side. Pledges move a request's totals under the request's row lock with F() updates, so
two hundred groups pledging at once never take a request past what it asked (unless the
requester allows it) and its totals stay exact.
"""

from solidarity.services._shared import MAX_QUANTITY
from solidarity.services.campaigns import campaign_create, place_copies_refresh
from solidarity.services.editing import offer_update, request_update
from solidarity.services.pledges import (
    pledge_accept,
    pledge_confirm,
    pledge_could_not,
    pledge_deliver,
    pledge_make,
    pledge_not_needed,
    pledge_refer,
)
from solidarity.services.postings import (
    offer_create,
    offer_withdraw,
    request_close,
    request_create,
)
from solidarity.services.ties import support_settings_set

__all__ = [
    "MAX_QUANTITY",
    "campaign_create",
    "offer_create",
    "offer_update",
    "offer_withdraw",
    "place_copies_refresh",
    "pledge_accept",
    "pledge_confirm",
    "pledge_could_not",
    "pledge_deliver",
    "pledge_make",
    "pledge_not_needed",
    "pledge_refer",
    "request_close",
    "request_create",
    "request_update",
    "support_settings_set",
]
