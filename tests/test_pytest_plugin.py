"""The opt-in pytest plugin, run in pytester sessions of its own.

Each test writes a small test module, runs pytest on it in-process and checks the outcome,
so what is proven is what a plugin author sees: the fixtures exist only when asked for,
work in both pytest-asyncio modes, give every test a fresh simulator, and close what they
open.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

AUTO_INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""

ENABLE = 'pytest_plugins = ["venuekit.testing.pytest_plugin"]\n'


def run(pytester: pytest.Pytester, source: str, *args: str,
        ini: str = AUTO_INI) -> pytest.RunResult:
    pytester.makeini(ini)
    pytester.makepyfile(source)
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def test_not_active_unless_asked_for(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
async def test_needs_it(venuekit_simulator):
    pass
""")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'venuekit_simulator' not found*"])


def test_enabled_with_dash_p(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
async def test_simulator_runs(venuekit_simulator):
    assert venuekit_simulator.base_url.startswith("http://127.0.0.1:")
    assert venuekit_simulator.exchange == "example"
""", "-p", "venuekit.testing.pytest_plugin")
    result.assert_outcomes(passed=1)


def test_connector_round_trip_against_the_example(pytester: pytest.Pytester) -> None:
    result = run(pytester, ENABLE + """
from venuekit import OrderParams, OrderStatus

async def test_round_trip(venuekit_simulator, venuekit_connector):
    assert venuekit_connector.exchange == "example"
    assert venuekit_connector.base_url == venuekit_simulator.api_url
    report = await venuekit_connector.check_connection()
    assert report.ok
    order = await venuekit_connector.place_order(OrderParams(
        symbol="BTC/USDT:USDT", side="buy", type="limit", quantity="0.01", price="40000"))
    assert order.status is OrderStatus.OPEN
    assert len(venuekit_simulator.state.orders) == 1

async def test_each_test_gets_a_fresh_simulator(venuekit_simulator, venuekit_connector):
    await venuekit_connector.place_order(OrderParams(
        symbol="BTC/USDT:USDT", side="buy", type="limit", quantity="0.01", price="40000"))
    assert len(venuekit_simulator.state.orders) == 1

async def test_faults_and_fast_retries(venuekit_simulator, venuekit_connector,
                                       venuekit_retry_policy):
    assert venuekit_retry_policy.max_tries == 3
    venuekit_simulator.faults.fail_next(2, status=502, path="/v1/balance")
    balance = await venuekit_connector.fetch_balance()
    assert balance["USDT"].total > 0
    assert venuekit_simulator.stats.count("/v1/balance") == 3
""")
    result.assert_outcomes(passed=3)


def test_simulator_class_and_options_can_be_overridden(pytester: pytest.Pytester) -> None:
    result = run(pytester, ENABLE + """
from decimal import Decimal
import pytest
from venuekit.testing.example.simulator import ExampleSimulator

class ThinBook(ExampleSimulator):
    pass

@pytest.fixture
def venuekit_simulator_class():
    return ThinBook

@pytest.fixture
def venuekit_simulator_options():
    return {"balances": {"USDT": "123.5", "BTC": "2"}}

async def test_override(venuekit_simulator, venuekit_connector, venuekit_exchange):
    assert type(venuekit_simulator) is ThinBook
    assert venuekit_exchange == "example"
    balance = await venuekit_connector.fetch_balance()
    assert balance["USDT"].total == Decimal("123.5")
    assert balance["BTC"].total == Decimal("2")
""")
    result.assert_outcomes(passed=1)


def test_connect_factory_takes_credentials_and_options(pytester: pytest.Pytester) -> None:
    result = run(pytester, ENABLE + """
import pytest
from venuekit import Credentials, InvalidSignature, RetryPolicy

MADE = []

async def test_wrong_secret(venuekit_simulator, venuekit_connect):
    wrong = Credentials(api_key=venuekit_simulator.credentials.api_key, api_secret="nope")
    conn = venuekit_connect(wrong, retry=RetryPolicy.none(), timeout_s=2.0)
    MADE.append(conn)
    assert conn.transport.timeout_s == 2.0
    with pytest.raises(InvalidSignature):
        await conn.fetch_balance()
    assert venuekit_simulator.stats.signature_failures == 1

def test_connectors_were_closed():
    [conn] = MADE
    assert conn.closed and conn.transport.sender.session.closed
""")
    result.assert_outcomes(passed=2)


def test_works_in_strict_mode(pytester: pytest.Pytester) -> None:
    result = run(pytester, ENABLE + """
import pytest

@pytest.mark.asyncio
async def test_strict(venuekit_connector):
    balance = await venuekit_connector.fetch_balance()
    assert balance.exchange == "example"
""", ini="[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n")
    result.assert_outcomes(passed=1)


def test_an_installed_plugin_is_loaded_through_its_entry_point(
        pytester: pytest.Pytester) -> None:
    # a simulator for another exchange: the registry allows exactly that name and loads it
    # from entry points, so an exchange nobody installed fails with a clear message
    result = run(pytester, ENABLE + """
import pytest
from venuekit import ConfigurationError
from venuekit.testing.example.simulator import ExampleSimulator

class Elsewhere(ExampleSimulator):
    exchange = "not_installed_anywhere"

@pytest.fixture
def venuekit_simulator_class():
    return Elsewhere

def test_registry(venuekit_registry, venuekit_plugin):
    assert venuekit_plugin is None
    assert venuekit_registry.names() == []
    with pytest.raises(ConfigurationError, match="not_installed_anywhere"):
        venuekit_registry.load("not_installed_anywhere")
""")
    result.assert_outcomes(passed=1)


def test_mocked_venue_and_connect_against_the_real_host(pytester: pytest.Pytester) -> None:
    """No simulator runs: the connector talks to the venue's host, answered by the mock."""
    result = run(pytester, ENABLE + """
import time
import pytest
from venuekit import ExchangeUnavailable, NetworkError
from venuekit.ratelimit import MemoryLimiter

HOST = "https://api.example.invalid"
MADE = []

def answer_time(mocked):
    mocked.get(f"{HOST}/v1/time", repeat=True,
               payload={"ok": True, "data": {"serverTime": int(time.time() * 1000)}})

async def test_canned_answer(venuekit_http_mock, venuekit_mock_connect):
    answer_time(venuekit_http_mock)
    conn = venuekit_mock_connect()
    MADE.append(conn)
    assert conn.base_url == HOST and conn.exchange == "example"
    assert await conn.server_time() > 0
    assert isinstance(conn.transport.limiter, MemoryLimiter)
    assert conn.transport.limiter is not venuekit_mock_connect().transport.limiter

async def test_no_retries_and_no_network(venuekit_http_mock, venuekit_mock_connect):
    venuekit_http_mock.get(f"{HOST}/v1/time", status=503, body=b"down")
    conn = venuekit_mock_connect()
    with pytest.raises(ExchangeUnavailable):
        await conn.server_time()
    with pytest.raises(NetworkError):  # nothing registered any more: fails, no network
        await conn.server_time()

def test_connectors_were_closed():
    [conn] = MADE
    assert conn.closed and conn.transport.sender.session.closed
""")
    result.assert_outcomes(passed=3)


def test_mocked_connect_credentials_can_be_overridden(pytester: pytest.Pytester) -> None:
    result = run(pytester, ENABLE + """
import pytest
from venuekit import Credentials

MINE = Credentials(api_key="doc-key-0123456789", api_secret="doc-secret-0123456789")

@pytest.fixture
def venuekit_credentials():
    return MINE

async def test_default_and_explicit(venuekit_mock_connect):
    assert venuekit_mock_connect().credentials is MINE
    other = Credentials(api_key="k-0123456789", api_secret="s-0123456789")
    assert venuekit_mock_connect(other, retry=None).credentials is other
""")
    result.assert_outcomes(passed=1)
