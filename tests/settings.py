"""Settings for the test suite: the real settings, with a private var/ directory.

Each run gets its own directory, so its embedded Redis socket and SQLite files never meet
a running lab's. Subprocesses (Celery workers, daphne) inherit it through the environment.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "kubelab-test-suite-only")
os.environ.setdefault("KUBELAB_VAR_DIR", tempfile.mkdtemp(prefix="kubelab-test-"))

from config.settings import *  # noqa: E402,F403

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not memory, so that worker and server processes can share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405

# Celery workers and daphne started by integration tests must see the test database.
if os.environ.get("KUBELAB_USE_TEST_DATABASE") == "1":
    _db = DATABASES["default"]  # noqa: F405
    _db["NAME"] = _db.get("TEST", {}).get("NAME") or f"test_{_db['NAME']}"

# User and cluster ids repeat between tests, so a request-rate bucket or a socket slot
# left by one test would reach the next; the tests of those limits turn them on.
KUBELAB_API_RATE = 0
KUBELAB_WS_MAX_PER_USER = 0
