"""Production settings, served over plain HTTP on the loopback for the benchmarks.

DJANGO_ENV=production (DEBUG off, the compressed manifest static storage served by WhiteNoise,
the real password hasher) with the HTTPS-only parts turned off: the benchmark clients speak
plain HTTP to 127.0.0.1, and an HTTP client never sends a cookie marked Secure back over
HTTP, so with secure cookies nobody would stay logged in. Nothing else differs from production.
"""

from portfolio_site.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
