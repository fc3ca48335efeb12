"""Settings for the web server and worker processes that tests/browser/test_export_journey.py
starts: the project's own, able to check the passwords the test suite hashed (tests hash with
MD5 for speed; see portfolio_site/test_settings.py)."""

from portfolio_site.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
