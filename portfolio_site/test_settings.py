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

# One folder per test run (two runs at once must not share it): the SQLite test database and
# uploaded files go there, never into the developer's var/. tests/conftest.py removes it.
TEST_RUN_DIR = Path(tempfile.mkdtemp(prefix="nvq-test-run-"))
MEDIA_ROOT = TEST_RUN_DIR / "media"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not Django's shared in-memory database: shared-cache SQLite fails a busy write at
    # once instead of waiting for the lock, so concurrency tests would test SQLite's test
    # mode rather than what the embedded default does.
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_RUN_DIR / "test.sqlite3")}  # noqa: F405

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
