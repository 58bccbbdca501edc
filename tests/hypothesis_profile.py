"""The hypothesis settings of the fuzz tests: the same examples on every run and a bounded number of them, so CI
is deterministic and its time known; no example database, and hypothesis' caches (Unicode tables, source
constants) go to the system's temporary folder instead of a ``.hypothesis/`` folder in the checkout.

``MAILFLOW_FUZZ_SCALE=20 .venv/bin/pytest tests/dialogs/test_fuzz_flows.py`` runs twenty times as many examples
(still derandomized) for a deeper look by hand.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

PROFILE = "mailflow-ci"

if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "mailflow-hypothesis")

settings.register_profile(PROFILE, derandomize=True, database=None, deadline=None, print_blob=False,
                          max_examples=100)


def fuzz(max_examples: int, *, shared_fixtures: bool = False) -> settings:
    """The profile with this test's number of examples (scaled by MAILFLOW_FUZZ_SCALE).

    ``shared_fixtures``: the test reuses one function-scoped fixture (a server, a store) for all its examples on
    purpose, which hypothesis would otherwise report as a health check failure."""
    scale = max(1, int(os.environ.get("MAILFLOW_FUZZ_SCALE", "1") or 1))
    return settings(settings.get_profile(PROFILE), max_examples=max_examples * scale,
                    suppress_health_check=(HealthCheck.function_scoped_fixture,) if shared_fixtures else ())
