"""Settings for the test suite: the real settings, with a private var/ directory.

Each run gets its own directory, so its embedded Redis socket and SQLite files never meet
a running lab's. Subprocesses (Celery workers, daphne) inherit it through the environment.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "kubelab-test-suite-only")
os.environ.setdefault("KUBELAB_VAR_DIR", tempfile.mkdtemp(prefix="kubelab-test-"))

from config.settings import *  # noqa: E402,F403
