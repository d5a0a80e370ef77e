"""Opt-in pytest fixtures: a running exchange simulator, or the venue's real host mocked,
and connectors talking to either.

Enable it in a test module or the root ``conftest.py``::

    pytest_plugins = ["venuekit.testing.pytest_plugin"]

or on the command line with ``-p venuekit.testing.pytest_plugin``. It is not registered as
an automatic ``pytest11`` plugin: installing venuekit never changes anyone's test session.

Fixtures (all function-scoped, so every test gets a fresh venue):

``venuekit_simulator_class``
    The :class:`~venuekit.testing.Simulator` subclass to run. Defaults to the example
    venue's; override it in a conftest, module or class to test your own plugin.
``venuekit_simulator_options``
    Keyword arguments for the simulator's constructor (``markets``, ``balances``,
    ``limits``, ``credentials``). Defaults to none.
``venuekit_simulator``
    The simulator, started on loopback and stopped after the test. Inject faults through
    ``venuekit_simulator.faults``; read what it saw in ``venuekit_simulator.stats``.
``venuekit_exchange``
    The exchange name, ``venuekit_simulator_class.exchange``.
``venuekit_plugin``
    The hook module to register in code, or None to load the installed entry point (the
    path a host takes). The example venue is registered in code; others use the entry point.
``venuekit_registry``
    The :class:`~venuekit.Registry` connectors load the plugin from.
``venuekit_limiter``
    A fresh :class:`~venuekit.ratelimit.MemoryLimiter` per test, so tests never share
    rate-limit buckets with each other.
``venuekit_retry_policy``
    A fast :class:`~venuekit.RetryPolicy` (3 tries, 10-50 ms back-off).
``venuekit_connect``
    A factory ``(credentials=None, **options) -> Connector`` bound to the running
    simulator with the fixtures above; ``options`` override any ``venuekit.connect``
    argument. Every connector it makes is closed after the test.
``venuekit_connector``
    ``venuekit_connect()``: a connector with the simulator's own credentials.

For tests of the hooks against exact payloads, with the venue's real host mocked instead of
a simulator running (no simulator is started for these):

``venuekit_http_mock``
    An ``aioresponses`` mock (through :mod:`venuekit.testing.aioresponses_compat`, so it
    works on aiohttp 3.14): register the venue's answers on it; a request that matches none
    fails, so nothing reaches a network. Needs ``aioresponses`` installed.
``venuekit_credentials``
    The credentials ``venuekit_mock_connect`` uses by default: the simulator class's
    defaults. Override it to sign with a venue's documented example key.
``venuekit_mock_connect``
    A factory ``(credentials=None, **options) -> Connector`` for ``venuekit_exchange`` at
    its real (mocked) host: loaded through ``venuekit_registry``, no retries, a fresh
    :class:`~venuekit.ratelimit.MemoryLimiter` per connector; ``options`` override any
    ``venuekit.connect`` argument. Every connector it makes is closed after the test.

A plugin's ``tests/conftest.py`` points all of them at its venue with one fixture::

    pytest_plugins = ["venuekit.testing.pytest_plugin"]

    @pytest.fixture
    def venuekit_simulator_class() -> type[Simulator]:
        return AcmeXSimulator

The async fixtures are declared with ``pytest_asyncio.fixture``, so they work in both of
pytest-asyncio's modes; in strict mode mark the tests ``@pytest.mark.asyncio``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

try:
    import pytest_asyncio
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("venuekit.testing.pytest_plugin needs pytest-asyncio "
                      "(pip install pytest-asyncio)") from exc

from ..connector import Connector, connect
from ..models import Credentials
from ..ratelimit import MemoryLimiter
from ..registry import Registry
from ..retry import RetryPolicy
from . import ConnectFactory
from .simulator import Simulator

if TYPE_CHECKING:
    from aioresponses import aioresponses

__all__ = [
    "venuekit_connect",
    "venuekit_connector",
    "venuekit_credentials",
    "venuekit_exchange",
    "venuekit_http_mock",
    "venuekit_limiter",
    "venuekit_mock_connect",
    "venuekit_plugin",
    "venuekit_registry",
    "venuekit_retry_policy",
    "venuekit_simulator",
    "venuekit_simulator_class",
    "venuekit_simulator_options",
]

#: How long an order sent to a simulator may still be accepted: short, so tests of the
#: no-duplicate protocol do not wait for a real venue's receive window.
ORDER_SETTLE_S = 0.2


@pytest.fixture
def venuekit_simulator_class() -> type[Simulator]:
    """The simulator to run; override to test another venue."""
    from .example.simulator import ExampleSimulator
    return ExampleSimulator


@pytest.fixture
def venuekit_simulator_options() -> dict[str, Any]:
    """Keyword arguments for the simulator's constructor."""
    return {}


@pytest_asyncio.fixture
async def venuekit_simulator(
        venuekit_simulator_class: type[Simulator],
        venuekit_simulator_options: dict[str, Any]) -> AsyncIterator[Simulator]:
    """The simulator, serving on loopback for the duration of the test."""
    async with venuekit_simulator_class(**venuekit_simulator_options) as simulator:
        yield simulator


@pytest.fixture
def venuekit_exchange(venuekit_simulator_class: type[Simulator]) -> str:
    """The exchange the simulator stands in for."""
    return venuekit_simulator_class.exchange


@pytest.fixture
def venuekit_plugin(venuekit_exchange: str) -> ModuleType | None:
    """The plugin registered in code, or None to load the installed entry point."""
    if venuekit_exchange == "example":
        from .example import plugin
        return plugin
    return None


@pytest.fixture
def venuekit_registry(venuekit_exchange: str, venuekit_plugin: ModuleType | None) -> Registry:
    """Where connectors load the plugin from: only this exchange is visible."""
    if venuekit_plugin is not None:
        return Registry(extra={venuekit_exchange: venuekit_plugin}, autoload=False)
    return Registry(allow=[venuekit_exchange])


@pytest.fixture
def venuekit_limiter() -> MemoryLimiter:
    """A limiter of this test's own."""
    return MemoryLimiter()


@pytest.fixture
def venuekit_retry_policy() -> RetryPolicy:
    """Retries with short back-off, so fault tests stay fast."""
    return RetryPolicy(max_tries=3, base_delay_s=0.01, max_delay_s=0.05)


@pytest_asyncio.fixture
async def venuekit_connect(venuekit_simulator: Simulator, venuekit_exchange: str,
                           venuekit_registry: Registry, venuekit_limiter: MemoryLimiter,
                           venuekit_retry_policy: RetryPolicy) -> AsyncIterator[ConnectFactory]:
    """A factory of connectors bound to the running simulator."""
    made: list[Connector] = []

    def factory(credentials: Credentials | None = None, /, **options: Any) -> Connector:
        settings: dict[str, Any] = {
            "base_url": venuekit_simulator.api_url, "registry": venuekit_registry,
            "limiter": venuekit_limiter, "retry": venuekit_retry_policy,
            "order_settle_s": ORDER_SETTLE_S,
        }
        settings.update(options)
        conn = connect(venuekit_exchange, credentials or venuekit_simulator.credentials,
                       **settings)
        made.append(conn)
        return conn

    try:
        yield factory
    finally:
        for conn in made:
            await conn.close()


@pytest_asyncio.fixture
async def venuekit_connector(venuekit_connect: ConnectFactory) -> Connector:
    """A connector to the simulator with its own credentials (closed after the test)."""
    return venuekit_connect()


@pytest.fixture
def venuekit_http_mock() -> Iterator[aioresponses]:
    """Canned venue answers; an unmatched request fails, so nothing reaches a network."""
    from .aioresponses_compat import mock_aiohttp
    with mock_aiohttp() as mocked:
        yield mocked


@pytest.fixture
def venuekit_credentials(venuekit_simulator_class: type[Simulator]) -> Credentials:
    """Default credentials for mocked connectors: the simulator's own."""
    return venuekit_simulator_class().credentials


@pytest_asyncio.fixture
async def venuekit_mock_connect(venuekit_http_mock: aioresponses, venuekit_exchange: str,
                                  venuekit_registry: Registry,
                                  venuekit_credentials: Credentials,
                                  ) -> AsyncIterator[ConnectFactory]:
    """A factory of connectors to the venue's mocked real host.

    It depends on ``venuekit_http_mock``, so no connector it makes can reach a network.
    No retries, so a test sees the first failure; a limiter per connector, so two
    connectors in one test do not share buckets unless the test passes one.
    """
    made: list[Connector] = []

    def factory(credentials: Credentials | None = None, /, **options: Any) -> Connector:
        settings: dict[str, Any] = {
            "registry": venuekit_registry, "limiter": MemoryLimiter(),
            "retry": RetryPolicy.none(), "order_settle_s": ORDER_SETTLE_S,
        }
        settings.update(options)
        conn = connect(venuekit_exchange, credentials or venuekit_credentials, **settings)
        made.append(conn)
        return conn

    try:
        yield factory
    finally:
        for conn in made:
            await conn.close()
