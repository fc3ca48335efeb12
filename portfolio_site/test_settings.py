"""Settings for the test suite: the real settings with the slow or outward-facing parts tamed.

The database and broker stay whatever the environment names, so the same suite runs on SQLite
and, in CI, on PostgreSQL and Redis.
"""

import tempfile
from pathlib import Path

from portfolio_site.settings import *  # noqa: F403

# Hashing with the default PBKDF2 costs ~0.3 s per login; tests log in hundreds of times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Tasks run in-process unless a test starts a real worker (tests/test_celery_worker.py).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

# Uploaded files from tests never land in the developer's var/media.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="nvq-test-media-"))

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
