"""The kit's pytest fixtures, pointed at Bybit: its simulator, entry point and test key."""

from __future__ import annotations

import pytest
from venuekit import Credentials
from venuekit.testing import Simulator
from venuekit_bybit.simulator import BybitSimulator

pytest_plugins = ["venuekit.testing.pytest_plugin"]


@pytest.fixture
def venuekit_simulator_class() -> type[Simulator]:
    return BybitSimulator


@pytest.fixture
def venuekit_credentials() -> Credentials:
    return Credentials(api_key="test-key-0123456789abcd",
                       api_secret="test-secret-0123456789abcdef0123")
