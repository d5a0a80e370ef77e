"""The kit's pytest fixtures, pointed at OKX and the key of its signing example."""

from __future__ import annotations

import pytest
from okx_helpers import doc_credentials
from venuekit import Credentials
from venuekit.testing import Simulator
from venuekit_okx.simulator import OkxSimulator

pytest_plugins = ["venuekit.testing.pytest_plugin"]


@pytest.fixture
def venuekit_simulator_class() -> type[Simulator]:
    return OkxSimulator


@pytest.fixture
def venuekit_credentials() -> Credentials:
    return doc_credentials()
