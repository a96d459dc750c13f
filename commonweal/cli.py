"""The `commonweal` command: every management command, with grouped sub-commands.

`commonweal places load` runs the `places` management command with argument `load`, so
commands that belong together share one entry point.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if args[1:2] == ["decide"]:
        # Counting a ballot file needs no settings or database: run it before Django starts.
        from assemblies.methods.cli import main as decide_main

        sys.exit(decide_main(args[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
    from django.core.management import execute_from_command_line

    args[0] = "commonweal"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
