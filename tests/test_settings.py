"""Production settings: refuse to start without secrets, and pass `check --deploy` with them.

Settings are read once per process, so each case runs manage.py in a fresh one.
"""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management.utils import get_random_secret_key

PRODUCTION_SECRETS = ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS")


def manage(*args: str, **environment: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "PYTEST_CURRENT_TEST"
    }
    env.update(environment)
    env["DJANGO_SETTINGS_MODULE"] = "portfolio_site.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "missing",
    [PRODUCTION_SECRETS, ("DJANGO_SECRET_KEY",), ("DJANGO_ALLOWED_HOSTS",)],
    ids=["both", "secret key", "allowed hosts"],
)
def test_production_refuses_to_start_without_its_secrets(missing):
    given = {
        "DJANGO_SECRET_KEY": get_random_secret_key(),
        "DJANGO_ALLOWED_HOSTS": "portfolio.example.org",
    }
    for name in missing:
        del given[name]

    result = manage("check", DJANGO_ENV="production", **given)

    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("Configuration error: DJANGO_ENV=production refuses to start")
    for name in PRODUCTION_SECRETS:
        assert (name in message) == (name in missing)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "secret_key",
    [
        pytest.param(get_random_secret_key(), id="random"),
        # django-environ would read "$..." as the name of another variable (a CI run met one).
        pytest.param("$" + get_random_secret_key()[1:], id="starting-with-dollar"),
    ],
)
def test_production_passes_the_deployment_checklist_with_its_secrets(tmp_path, secret_key):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secret_key,
        DJANGO_ALLOWED_HOSTS="portfolio.example.org",
        DJANGO_VAR_DIR=str(tmp_path),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_development_defaults_fail_the_deployment_checklist(tmp_path):
    """The check above can fail: the embedded defaults are not fit for production."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", DJANGO_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout  # DEBUG is on


def test_unknown_environment_is_refused():
    result = manage("check", DJANGO_ENV="staging")
    assert result.returncode != 0
    assert "DJANGO_ENV is 'staging'; it must be one of: development, production" in result.stderr


def test_embedded_defaults_need_no_services():
    """No environment: SQLite and media under var/, Celery on the filesystem transport."""
    assert settings.CELERY_BROKER_URL.startswith(("filesystem://", "redis://"))
    if "DATABASE_URL" not in os.environ:
        assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    if "CELERY_BROKER_URL" not in os.environ:
        assert settings.CELERY_BROKER_URL == "filesystem://"
        for folder in settings.CELERY_BROKER_TRANSPORT_OPTIONS.values():
            if isinstance(folder, str):
                assert folder.startswith(str(settings.VAR_DIR))


def test_environment_urls_select_postgresql_and_redis():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)"
    )
    result = manage(
        "shell",
        "--verbosity=0",
        "-c",
        code,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/nvq_portfolio",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "redis://127.0.0.1:6379/0",
    ]


def test_production_collects_its_static_files(tmp_path):
    """Production serves hashed, compressed static files (WhiteNoise's manifest storage), which
    refuses a file that names a missing one, such as a vendored script's source map."""
    static_root = tmp_path / "static"
    result = manage(
        "collectstatic",
        "--noinput",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=get_random_secret_key(),
        DJANGO_ALLOWED_HOSTS="portfolio.example.org",
        DJANGO_VAR_DIR=str(tmp_path),
        DJANGO_STATIC_ROOT=str(static_root),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    manifest = (static_root / "staticfiles.json").read_text()
    for served in ("vendor/trix/trix.umd.min.js", "vendor/htmx/htmx.min.js", "css/site.css"):
        assert f'"{served}"' in manifest
