"""Settings for the worker that tests/exports/test_worker.py starts: the project's own, with a
renderer that pauses between stages so that the test can kill the worker mid-render."""

from portfolio_site.settings import *  # noqa: F403

EXPORT_RENDERER = "tests.exports.renderers.slow_render"
