"""A ceiling on the memory an export's render may take, enforced while it runs.

CELERY_WORKER_MAX_MEMORY_PER_CHILD replaces a worker process only *after* a task that left it
large, so one runaway render (a huge image decoded, an enormous table laid out) could take the
machine's memory first. Here the process's address space (RLIMIT_AS) is capped for the length of
the task: an allocation past it fails, Python raises MemoryError, and the run is marked failed
with a message saying so (exports.services.readable_error). Only the soft limit is lowered, so it
is raised back afterwards and the next task in the process starts unconstrained.

The cap counts the whole process (the interpreter, Django, WeasyPrint's libraries: some 300 MB
before any work), so EXPORT_MEMORY_LIMIT_BYTES is set well above that.
"""

import logging
import resource
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)


@contextmanager
def address_space_limit(limit_bytes: int) -> Iterator[None]:
    """Cap this process's address space at ``limit_bytes`` (0: no cap) inside the block."""
    if limit_bytes <= 0:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    capped = limit_bytes if hard == resource.RLIM_INFINITY else min(limit_bytes, hard)
    if soft != resource.RLIM_INFINITY and soft <= capped:
        yield  # already at least this strict
        return
    resource.setrlimit(resource.RLIMIT_AS, (capped, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
