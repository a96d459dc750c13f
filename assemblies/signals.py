"""What other apps may listen for when an assembly decides something.

`proposal_decided` is sent inside the deciding service's transaction, once per proposal, when a
vote or a meeting adopts or rejects it: a receiver's writes commit or roll back with the decision.
Arguments: ``proposal`` (the row, status already set), ``adopted`` (bool), ``actor`` (who closed
the round or recorded the room's decision; None when the worker closed a round on time).
"""

from django.dispatch import Signal

proposal_decided = Signal()
