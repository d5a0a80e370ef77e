"""The kit's pytest fixtures, pointed at BingX, plus a connector that records its traffic."""

from __future__ import annotations

import pytest
from venuekit.connector import Connector
from venuekit.models import Credentials
from venuekit.testing import ConnectFactory, Simulator
from venuekit.wire import Response
from venuekit_bingx.simulator import BingXSimulator

pytest_plugins = ["venuekit.testing.pytest_plugin"]


@pytest.fixture
def venuekit_simulator_class() -> type[Simulator]:
    return BingXSimulator


@pytest.fixture
def venuekit_credentials() -> Credentials:
    return Credentials(api_key="test-api-key-0123456789", api_secret="test-secret-abcdef0123456789")


@pytest.fixture
def sent() -> list[Response]:
    """Every response the connector got, each holding the exact signed request sent."""
    return []


@pytest.fixture
def conn(venuekit_mock_connect: ConnectFactory, sent: list[Response]) -> Connector:
    """A live-host connector recording its traffic in ``sent``."""
    connector = venuekit_mock_connect(order_settle_s=0.05)
    connector.transport.on_response = sent.append
    return connector
