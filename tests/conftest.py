from __future__ import annotations

from collections.abc import Iterator

import pytest

from dialogs.engine import Engine
from tests.dialogs.explore import TODAY
from tests.processes import Azurite, azurite


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.default(today=lambda: TODAY)


@pytest.fixture(scope="session")
def azurite_blob() -> Iterator[Azurite]:
    """One Azurite blob service for the whole run (each test uses its own container); fails if not installed."""
    with azurite() as server:
        yield server
