"""Settings for the worker that tests/evidence/test_image_bombs.py starts: the project's own,
with a renderer that tries to take far more memory than EXPORT_MEMORY_LIMIT_BYTES allows."""

from portfolio_site.settings import *  # noqa: F403

EXPORT_RENDERER = "tests.evidence.test_image_bombs.hungry_render"
