#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio_site.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A configuration mistake (a missing secret in production, say) is the operator's
        # to fix: say what is wrong in one line rather than in a traceback.
        sys.exit(f"Configuration error: {error}")


if __name__ == "__main__":
    main()
