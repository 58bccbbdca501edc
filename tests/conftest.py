from __future__ import annotations

import pytest

from dialogs.engine import Engine
from tests.dialogs.explore import TODAY


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.default(today=lambda: TODAY)
