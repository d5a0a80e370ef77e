"""Account and market-data builders and parsers on Pionex's documented payloads.

Samples are PX-OAS schema examples and the research's abridged responses
(/work/shared/exchanges/pionex-account-streams.md), written inline. Flows and pages are
run with ``venuekit.flows.drive`` against canned answers: no core, no network.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from support import response
from venuekit.errors import BadResponse, InvalidOrder, VenueError
from venuekit.flows import Flow, Page, Walk, drive
from venuekit.models import OrderParams, OrderResult, OrderStatus
from venuekit.wire import Call
from venuekit_pionex import account, parsing

SYMBOLS = {"result": True, "timestamp": 1566691672311, "data": {"symbols": [
    {"symbol": "BTC_USDT", "type": "SPOT", "baseCurrency": "BTC", "quoteCurrency": "USDT",
     "basePrecision": 6, "quotePrecision": 2, "amountPrecision": 2, "minAmount": "10",
     "minTradeSize": "0.000001", "maxTradeSize": "1000", "enable": True}]}}
BTC = parsing.parse_markets(response(SYMBOLS))[0]

#: the research's open-orders sample (PX-OAS ``Order``), a half-filled resting order
OPEN_ORDER = {"orderId": 1234567890, "symbol": "BTC_USDT", "type": "LIMIT", "side": "BUY",
              "price": "30000.00", "size": "0.1000", "amount": "", "filledSize": "0.0500",
              "filledAmount": "1500.00", "fee": "0.15", "feeCoin": "USDT", "status": "OPEN",
              "IOC": False, "clientOrderId": "9e3d93d6-e9a4-465a-a39c-2e48568fe194",
              "source": "API", "createTime": 1566676132311, "updateTime": 1566676132311}
#: the research's fills sample (PX-OAS ``Fill``)
FILL = {"id": 9876543210, "orderId": 123456789, "symbol": "BTC_USDT", "side": "BUY",
        "role": "TAKER", "price": "30000.00", "size": "0.1000", "fee": "0.15",
        "feeCoin": "USDT", "timestamp": 1566676132311}


def ok(data: Any = None) -> Any:
    payload: dict[str, Any] = {"result": True, "timestamp": 1566691672311}
    if data is not None:
        payload["data"] = data
    return response(payload)


def limit_order(cid: str, **changes: Any) -> OrderParams:
    fields: dict[str, Any] = {"symbol": "BTC/USDT", "side": "buy", "type": "limit",
                              "quantity": "0.001", "price": "30000", "client_order_id": cid}
    fields.update(changes)
    return OrderParams(**fields)


# ---------------------------------------------------------------- open orders


def test_open_orders_request_and_documented_answer() -> None:
    call = account.fetch_open_orders(BTC)
    assert call is not None
    assert (call.request.method, call.request.path) == ("GET", "/api/v1/trade/openOrders")
    assert call.request.query == (("symbol", "BTC_USDT"),)
    assert call.request.signed and call.request.cost == {"ip": 5, "account": 5}
    (order,) = call.parse(ok({"orders": [OPEN_ORDER]}))
    assert order.order_id == "1234567890" and order.symbol == "BTC/USDT"
    assert order.status is OrderStatus.PARTIALLY_FILLED  # OPEN with something filled
    assert order.quantity == Decimal("0.1") and order.filled_quantity == Decimal("0.05")
    assert order.average_price == Decimal("30000")


def test_open_orders_of_every_symbol_is_not_offered() -> None:
    # openOrders requires symbol (PX-OAS): the core answers NotSupported
    assert account.fetch_open_orders(None) is None


@pytest.mark.parametrize(("status", "filled", "expected"), [
    ("OPEN", "0", OrderStatus.OPEN),
    ("OPEN", "0.0500", OrderStatus.PARTIALLY_FILLED),
    ("CLOSED", "0.1000", OrderStatus.FILLED),
    ("CLOSED", "0.0500", OrderStatus.CANCELED),  # cancelled after a partial fill
    ("CLOSED", "0", OrderStatus.CANCELED),
])
def test_status_is_derived_from_filled_size_against_size(status: str, filled: str,
                                                         expected: OrderStatus) -> None:
    """Pionex says only OPEN or CLOSED; the fill tells filled from cancelled."""
    row = {**OPEN_ORDER, "status": status, "filledSize": filled}
    (order,) = account.parse_open_orders(ok({"orders": [row]}), BTC)
    assert order.status is expected
    assert order.filled_quantity == Decimal(filled)


# ---------------------------------------------------------------- fills


def test_fill_from_the_documented_sample() -> None:
    (fill,) = [account.parse_fill(row, BTC)
               for row in parsing.data(ok({"fills": [FILL]})).rows("fills")]
    assert fill.trade_id == "9876543210" and fill.order_id == "123456789"
    assert fill.symbol == "BTC/USDT" and fill.side.value == "buy"
    assert (fill.price, fill.quantity, fill.fee) == (Decimal("30000"), Decimal("0.1"),
                                                    Decimal("0.15"))
    assert fill.fee_currency == "USDT" and fill.is_maker is False
    assert fill.timestamp == datetime.fromtimestamp(1566676132.311, UTC)


def test_int64_ids_stay_exact() -> None:
    big = 11000614011208411  # PX-GBR's massOrder example id: above 2**53
    row = {**FILL, "id": big + 2, "orderId": big, "role": "MAKER"}
    (fill,) = [account.parse_fill(r, BTC)
               for r in parsing.data(ok({"fills": [row]})).rows("fills")]
    assert fill.trade_id == "11000614011208413" and fill.order_id == "11000614011208411"
    assert fill.is_maker is True


def test_fill_of_another_symbol_is_refused() -> None:
    row = {**FILL, "symbol": "ETH_USDT"}
    with pytest.raises(BadResponse, match="ETH_USDT"):
        account.parse_fill(parsing.data(ok({"fills": [row]})).rows("fills")[0], BTC)


def _fill(trade_id: int, ms: int) -> dict[str, Any]:
    return {**FILL, "id": trade_id, "timestamp": ms}


def _walk(pages: list[list[dict[str, Any]]], since: datetime | None = None
          ) -> tuple[list[dict[str, str]], list[str]]:
    """Answer each page call with the next canned page; the queries sent and the ids read."""
    plan = account.fetch_my_trades(BTC, since)
    assert plan.walk is Walk.BACKWARD
    queries: list[dict[str, str]] = []
    ids: list[str] = []
    call: Call[Page[Any]] | None = plan.first
    answers = iter(pages)
    while call is not None:
        queries.append(dict(call.request.query))
        page = call.parse(ok({"fills": next(answers)}))
        ids.extend(f.trade_id for f in page.items)
        call = page.next
    return queries, ids


def test_fills_walk_back_by_end_time_and_stop_on_a_short_repeat() -> None:
    queries, ids = _walk([
        [_fill(9, 900), _fill(8, 800), _fill(7, 700)],   # newest page (3 = widest)
        [_fill(7, 700), _fill(6, 600), _fill(5, 500)],   # endTime=700 is inclusive
        [_fill(5, 500)],                                 # only what was seen, short: end
    ])
    assert [q.get("endTime") for q in queries] == [None, "700", "500"]
    assert all(q["symbol"] == "BTC_USDT" and "limit" not in q for q in queries)
    assert sorted(set(ids)) == ["5", "6", "7", "8", "9"]


def test_fills_step_past_a_millisecond_that_fills_a_whole_page() -> None:
    queries, _ = _walk([
        [_fill(9, 900), _fill(8, 500), _fill(7, 500)],
        [_fill(8, 500), _fill(7, 500), _fill(6, 500)],   # new, but all at 500: step back
        [_fill(5, 400)],
        [],
    ])
    assert [q.get("endTime") for q in queries] == [None, "500", "499", "400"]


def test_fills_since_is_start_time_and_bounds_the_walk() -> None:
    since = datetime.fromtimestamp(0.6, UTC)
    queries, ids = _walk([[_fill(9, 900), _fill(8, 800)], [_fill(8, 800)]], since)
    assert all(q["startTime"] == "600" for q in queries)
    assert ids == ["9", "8", "8"]


def test_an_empty_window_ends_the_walk() -> None:
    queries, ids = _walk([[]])
    assert len(queries) == 1 and ids == []


# ---------------------------------------------------------------- cancel-all


def test_cancel_all_lists_first_then_deletes_and_reports_what_was_open() -> None:
    calls: list[Call[Any]] = []

    def answer(call: Call[Any]) -> Any:
        calls.append(call)
        if call.request.method == "GET":
            return call.parse(ok({"orders": [OPEN_ORDER]}))
        return call.parse(ok())  # {"result": true} and nothing else (PX-GBZ, JK)
    cancelled = drive(account.cancel_all_orders(BTC), answer)
    assert [(c.request.method, c.request.path) for c in calls] == [
        ("GET", "/api/v1/trade/openOrders"), ("DELETE", "/api/v1/trade/allOrders")]
    assert calls[1].request.body == {"symbol": "BTC_USDT"}
    assert calls[1].request.cost == {"ip": 1, "account": 1}
    assert [(o.order_id, o.status) for o in cancelled] == [("1234567890",
                                                           OrderStatus.CANCELED)]


def test_cancel_all_with_nothing_open_sends_no_delete() -> None:
    calls: list[Call[Any]] = []

    def answer(call: Call[Any]) -> Any:
        calls.append(call)
        return call.parse(ok({"orders": []}))
    assert drive(account.cancel_all_orders(BTC), answer) == []
    assert len(calls) == 1


# ---------------------------------------------------------------- batch place


def test_mass_order_request_body() -> None:
    orders = [limit_order("a-1"), limit_order("a-2", side="sell", price="31000")]
    call = account.place_orders(orders, [BTC, BTC])
    request = call.request
    assert (request.method, request.path) == ("POST", "/api/v1/trade/massOrder")
    assert request.idempotent is False and request.signed
    assert request.body == {"symbol": "BTC_USDT", "orders": [
        {"side": "BUY", "type": "LIMIT", "clientOrderId": "a-1", "size": "0.001",
         "price": "30000"},
        {"side": "SELL", "type": "LIMIT", "clientOrderId": "a-2", "size": "0.001",
         "price": "31000"}]}


def test_mass_order_answer_is_matched_by_client_id() -> None:
    orders = [limit_order("a-1"), limit_order("a-2"), limit_order("a-3")]
    call = account.place_orders(orders, [BTC] * 3)
    # PX-GBR's answer shape; one order missing from it, one listed out of order
    items = call.parse(ok({"orderIds": [
        {"orderId": 11000614011208412, "clientOrderId": "a-2"},
        {"orderId": 11000614011208411, "clientOrderId": "a-1"}]}))
    first, second, third = items
    assert isinstance(first, OrderResult) and isinstance(second, OrderResult)
    assert (first.order_id, second.order_id) == ("11000614011208411", "11000614011208412")
    assert first.status is OrderStatus.OPEN and first.price == Decimal("30000")
    # undocumented: how a refused item is reported; missing means "look it up"
    assert isinstance(third, VenueError) and third.ambiguous


@pytest.mark.parametrize(("changes", "why"), [
    ({"type": "market", "price": None}, "LIMIT orders only"),
    ({"time_in_force": "ioc"}, "no time-in-force"),
])
def test_mass_order_refuses_what_the_batch_cannot_carry(changes: dict[str, Any],
                                                        why: str) -> None:
    with pytest.raises(InvalidOrder, match=why):
        account.place_orders([limit_order("a-1", **changes)], [BTC])


# ---------------------------------------------------------------- market data


def test_ticker_merges_book_ticker_and_24h_close() -> None:
    def answer(call: Call[Any]) -> Any:
        assert call.request.query == (("symbol", "BTC_USDT"),) and not call.request.signed
        if call.request.path == "/api/v1/market/bookTickers":
            return call.parse(ok({"tickers": [{
                "symbol": "BTC_USDT", "bidPrice": "29999.5", "bidSize": "0.5",
                "askPrice": "30000.5", "askSize": "0.7", "timestamp": "1566691672311"}]}))
        assert call.request.path == "/api/v1/market/tickers"
        return call.parse(ok({"tickers": [{
            "symbol": "BTC_USDT", "time": 1566691672311, "open": "29000", "close": "30000.1",
            "high": "30500", "low": "28800", "volume": "12.5", "amount": "370000",
            "count": "1000"}]}))
    plan = account.fetch_ticker(BTC)
    assert isinstance(plan, Flow)
    ticker = drive(plan, answer)
    assert (ticker.bid, ticker.ask, ticker.last) == (Decimal("29999.5"), Decimal("30000.5"),
                                                    Decimal("30000.1"))
    assert ticker.timestamp == datetime.fromtimestamp(1566691672.311, UTC)


def test_ticker_without_the_symbols_row_is_bad_response() -> None:
    def answer(call: Call[Any]) -> Any:
        return call.parse(ok({"tickers": []}))
    with pytest.raises(BadResponse):
        drive(account.fetch_ticker(BTC), answer)


def test_order_book_from_the_documented_sample() -> None:
    call = account.fetch_order_book(BTC, 5)
    assert call.request.query == (("symbol", "BTC_USDT"), ("limit", "5"))
    assert account.fetch_order_book(BTC, 5000).request.query[1] == ("limit", "1000")
    book = call.parse(ok({"bids": [["27964.01", "0.0675"], ["27963.23", "0.9111"]],
                          "asks": [["27979.32", "0.0731"], ["27980.97", "1.0294"]],
                          "updateTime": 1566676132311}))
    assert book.best_bid == (Decimal("27964.01"), Decimal("0.0675"))
    assert book.best_ask == (Decimal("27979.32"), Decimal("0.0731"))
    assert book.sequence is None  # Pionex's book has no sequence number
