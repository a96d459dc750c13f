"""The `commonweal` command: every management command, with grouped sub-commands.

`commonweal places load` runs the `places` management command with argument `load`, so
commands that belong together share one entry point.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "commonweal"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
