"""The kit's pytest fixtures, pointed at Pionex and the hook tests' made-up key."""

from __future__ import annotations

import pytest
from support import HOOK_CREDENTIALS
from venuekit import Credentials
from venuekit.testing import Simulator
from venuekit_pionex.simulator import PionexSimulator

pytest_plugins = ["venuekit.testing.pytest_plugin"]


@pytest.fixture
def venuekit_simulator_class() -> type[Simulator]:
    return PionexSimulator


@pytest.fixture
def venuekit_credentials() -> Credentials:
    return HOOK_CREDENTIALS
