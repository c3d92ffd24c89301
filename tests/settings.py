"""The test run's settings: production's (registry.settings) served over plain HTTP with a throw-away key.

With DEBUG off the registry's settings are the secure, HTTPS-only ones and need SECRET_KEY; the test client
speaks plain HTTP, so the tests opt out the way a local run does (LOCAL_HTTP). An environment that sets
these variables itself wins.
"""

import os

os.environ.setdefault("LOCAL_HTTP", "true")
os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret-" + "x" * 40)

from registry.settings import *  # noqa: E402, F403
