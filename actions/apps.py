from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "actions"
    verbose_name = "Calls to action"

    def ready(self) -> None:
        from places.services import tree_renumbered

        tree_renumbered.connect(_refresh_copies, dispatch_uid="actions.place_copies")


def _refresh_copies(**kwargs: object) -> None:
    # places cannot import actions; it announces renumbering and copies of `lft` follow.
    from actions.services import place_copies_refresh

    place_copies_refresh()
