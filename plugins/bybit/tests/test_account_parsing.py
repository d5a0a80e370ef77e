"""Account-state parsers and plans on the sample payloads of Bybit's V5 pages.

Plans run with :func:`venuekit.flows.drive` against canned envelopes: no core, no network.
Payloads are the pages' examples (bybit-account-streams.md section 2), trimmed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from venuekit.account_models import MarginMode, PositionSide
from venuekit.errors import DuplicateOrder, ExchangeError, OrderNotFound
from venuekit.flows import drive
from venuekit.models import (
    Auth,
    Credentials,
    Market,
    MarketKind,
    OrderParams,
    OrderRef,
    OrderResult,
    OrderStatus,
)
from venuekit.payload import Reader
from venuekit.wire import Call, Response
from venuekit_bybit import account, errors, market_data, positions, signing

BTC = Market(symbol="BTC/USDT:USDT", native="BTCUSDT", base="BTC", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.1"),
             step_size=Decimal("0.001"), min_quantity=Decimal("0.001"), max_leverage=100)
ETH = Market(symbol="ETH/USDT:USDT", native="ETHUSDT", base="ETH", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.01"),
             step_size=Decimal("0.01"), min_quantity=Decimal("0.01"))
ETH_USDC = Market(symbol="ETH/USDC:USDC", native="ETHPERP", base="ETH", quote="USDC",
                  settle="USDC", kind=MarketKind.SWAP, tick_size=Decimal("0.01"),
                  step_size=Decimal("0.01"), min_quantity=Decimal("0.01"))


def envelope(result: Any, *, code: int = 0, ext: Any = None) -> Response:
    return Response(exchange="bybit", status=200, headers={}, body=json.dumps({
        "retCode": code, "retMsg": "OK" if code == 0 else "failed", "result": result,
        "retExtInfo": ext or {}, "time": 1684738540600}).encode())


def answer_with(*responses: Response) -> Any:
    queue = list(responses)
    seen: list[Call[Any]] = []

    def answer(call: Call[Any]) -> Any:
        seen.append(call)
        response = queue.pop(0)
        error = errors.parse_error(response)
        if error is not None:
            raise error
        return call.parse(response)
    answer.calls = seen  # type: ignore[attr-defined]
    return answer


#: Get Open & Closed Orders example (ETHUSDT, hedge long leg).
DOC_ORDER = {"orderId": "fd4300ae-7847-404e-b947-b46980a4d140", "orderLinkId": "test-000005",
             "symbol": "ETHUSDT", "price": "1600.00", "qty": "0.10", "side": "Buy",
             "positionIdx": 1, "orderStatus": "New", "cancelType": "UNKNOWN",
             "rejectReason": "EC_NoError", "avgPrice": "0", "leavesQty": "0.10",
             "leavesValue": "160", "cumExecQty": "0.00", "cumExecValue": "0",
             "timeInForce": "GTC", "orderType": "Limit", "stopOrderType": "UNKNOWN",
             "triggerPrice": "0.00", "takeProfit": "2500.00", "stopLoss": "1500.00",
             "reduceOnly": False, "closeOnTrigger": False, "createdTime": "1684738540559",
             "updatedTime": "1684738540561", "cumFeeDetail": {"MNT": "0.00242968"}}

#: Get Trade History example.
DOC_EXECUTION = {"symbol": "ETHPERP", "orderType": "Market", "orderLinkId": "",
                 "side": "Buy", "orderId": "8c065341-7b52-4ca9-ac2c-37e31ac55c94",
                 "leavesQty": "0", "execTime": "1672282722429", "feeCurrency": "",
                 "isMaker": False, "execFee": "0.071409", "feeRate": "0.0006",
                 "execId": "e0cbe81d-0f18-5866-9415-cf319b5dab3b", "markPrice": "1183.54",
                 "execPrice": "1190.15", "orderQty": "0.1", "orderPrice": "1236.9",
                 "execValue": "119.015", "execType": "Trade", "execQty": "0.1",
                 "closedSize": "", "seq": 4688002127}

#: Get Position Info example, moved to a linear symbol (the page's example is inverse).
DOC_POSITION = {"positionIdx": 0, "riskId": 1, "riskLimitValue": "150", "symbol": "BTCUSDT",
                "side": "Sell", "size": "0.300", "avgPrice": "27464.50441675",
                "positionValue": "8239.35", "tradeMode": 0, "positionStatus": "Normal",
                "autoAddMargin": 1, "adlRankIndicator": 2, "leverage": "10",
                "breakEvenPrice": "93556.73034991", "markPrice": "28224.50", "liqPrice": "",
                "positionIM": "0.00010923", "positionMM": "0.0000015", "takeProfit": "0.00",
                "stopLoss": "0.00", "trailingStop": "0.00", "unrealisedPnl": "-0.00029413",
                "curRealisedPnl": "0.00013123", "cumRealisedPnl": "-0.00096902",
                "seq": 5723621632, "isReduceOnly": False, "createdTime": "1676538056258",
                "updatedTime": "1697673600012"}

#: Get Account Info example.
DOC_ACCOUNT_INFO = {"marginMode": "REGULAR_MARGIN", "updatedTime": "1697078946000",
                    "unifiedMarginStatus": 4, "isMasterTrader": False,
                    "spotHedgingStatus": "OFF"}


def test_open_orders_page_by_cursor_and_per_settle_coin() -> None:
    full = [dict(DOC_ORDER, orderId=f"id-{i}") for i in range(account.OPEN_ORDERS_PAGE)]
    answer = answer_with(
        envelope({"category": "linear", "list": full, "nextPageCursor": "page2"}),
        envelope({"category": "linear", "list": [DOC_ORDER], "nextPageCursor": ""}),
        envelope({"category": "linear", "list": [], "nextPageCursor": ""}))
    orders = drive(account.fetch_open_orders(None, [BTC, ETH, ETH_USDC]), answer)
    queries = [dict(c.request.query) for c in answer.calls]
    assert [(q.get("settleCoin"), q.get("cursor")) for q in queries] == [
        ("USDC", None), ("USDC", "page2"), ("USDT", None)]
    assert len(orders) == account.OPEN_ORDERS_PAGE + 1
    last = orders[-1]
    assert (last.symbol, last.order_id, last.client_order_id) == (
        "ETH/USDT:USDT", DOC_ORDER["orderId"], "test-000005")
    assert last.status is OrderStatus.OPEN and last.quantity == Decimal("0.10")


def test_a_cursor_goes_back_on_the_wire_as_bybit_issued_it() -> None:
    # Bybit hands cursors out percent-encoded ("621%3A1%2C621%3A1", as live answers show) and
    # its SDKs send them as they came: the server decodes the query once. Encoding the "%"
    # again (621%253A1...) would send a cursor Bybit never issued.
    issued = "621%3A1%2C621%3A1"
    full = [dict(DOC_ORDER, orderId=f"id-{i}") for i in range(account.OPEN_ORDERS_PAGE)]
    answer = answer_with(
        envelope({"category": "linear", "list": full, "nextPageCursor": issued}),
        envelope({"category": "linear", "list": [DOC_ORDER], "nextPageCursor": ""}))
    drive(account.fetch_open_orders(ETH, [BTC, ETH]), answer)
    second = answer.calls[1].request
    signed = signing.sign(second, Auth(Credentials(api_key="k", api_secret="s")), 1)
    assert f"cursor={issued}" in signed.query_string.split("&")


def test_an_execution_is_a_fill_with_its_exec_id_and_the_settle_coin_fee() -> None:
    fill = positions.fill(Reader.of(envelope(DOC_EXECUTION)).at("result"), ETH_USDC)
    assert fill.trade_id == "e0cbe81d-0f18-5866-9415-cf319b5dab3b"
    assert fill.order_id == "8c065341-7b52-4ca9-ac2c-37e31ac55c94"
    assert fill.client_order_id is None and fill.side.value == "buy"
    assert (fill.price, fill.quantity, fill.fee) == (Decimal("1190.15"), Decimal("0.1"),
                                                     Decimal("0.071409"))
    assert fill.fee_currency == "USDC" and fill.is_maker is False
    assert fill.timestamp == datetime.fromtimestamp(1672282722.429, UTC)


NOW = 1_700_000_000_000
DAY = 24 * 3600 * 1000


def test_executions_walk_back_by_cursor_then_by_window_and_drop_funding() -> None:
    pages = positions.fetch_my_trades(ETH_USDC, None, None, now_ms=NOW)
    first = dict(pages.first.request.query)
    assert int(first["endTime"]) == NOW + positions.CLOCK_SLACK_MS
    assert int(first["endTime"]) - int(first["startTime"]) == 7 * DAY - 1
    assert first["limit"] == "100"
    funding = dict(DOC_EXECUTION, execType="Funding", execId="f-1")
    rows = [DOC_EXECUTION, funding] + [dict(DOC_EXECUTION, execId=f"x{i}")
                                        for i in range(98)]
    page = pages.first.parse(envelope({"list": rows, "nextPageCursor": "c2"}))
    assert len(page.items) == 99  # the funding row is not a fill
    assert page.next is not None
    second = dict(page.next.request.query)
    assert second["cursor"] == "c2" and second["startTime"] == first["startTime"]
    last = page.next.parse(envelope({"list": [DOC_EXECUTION], "nextPageCursor": ""}))
    assert last.next is not None
    older = dict(last.next.request.query)
    assert "cursor" not in older
    assert int(older["endTime"]) == int(first["startTime"]) - 1


def test_executions_since_stop_at_since() -> None:
    since = datetime.fromtimestamp((NOW - 3 * DAY) / 1000, UTC)
    pages = positions.fetch_my_trades(BTC, since, 5, now_ms=NOW)
    query = dict(pages.first.request.query)
    assert int(query["startTime"]) == NOW - 3 * DAY
    assert pages.first.parse(envelope({"list": [], "nextPageCursor": ""})).next is None


def test_positions_merge_the_account_margin_mode() -> None:
    flat = dict(DOC_POSITION, symbol="ETHUSDT", side="", size="0")
    answer = answer_with(envelope({"list": [DOC_POSITION, flat], "nextPageCursor": ""}),
                         envelope(DOC_ACCOUNT_INFO))
    (short,) = drive(positions.fetch_positions(None, [BTC, ETH]), answer)
    assert [c.request.path for c in answer.calls] == ["/v5/position/list",
                                                      "/v5/account/info"]
    assert dict(answer.calls[0].request.query)["settleCoin"] == "USDT"
    assert short.side is PositionSide.SHORT and short.quantity == Decimal("0.300")
    assert short.entry_price == Decimal("27464.50441675")  # avgPrice, not entryPrice
    assert short.mark_price == Decimal("28224.50") and short.leverage == Decimal(10)
    assert short.liquidation_price is None  # "" when out of range
    assert short.margin_mode is MarginMode.CROSS  # REGULAR_MARGIN, account-wide


def test_hedge_legs_take_their_side_from_position_idx() -> None:
    long_leg = dict(DOC_POSITION, positionIdx=1, side="Buy", size="0.1")
    short_leg = dict(DOC_POSITION, positionIdx=2, side="Sell", size="0.2")
    rows = [Reader.of(envelope(r)).at("result") for r in (long_leg, short_leg)]
    assert positions.position_mode(rows) == "hedge"
    assert positions.position_mode([Reader.of(envelope(DOC_POSITION)).at("result")]) \
        == "one-way"
    assert positions.position_mode([]) is None
    info = dict(DOC_ACCOUNT_INFO, marginMode="ISOLATED_MARGIN")
    found = drive(positions.fetch_positions([BTC], [BTC]), answer_with(
        envelope({"list": [long_leg, short_leg], "nextPageCursor": ""}), envelope(info)))
    assert [(p.side, p.quantity) for p in found] == [(PositionSide.LONG, Decimal("0.1")),
                                                     (PositionSide.SHORT, Decimal("0.2"))]
    assert {p.margin_mode for p in found} == {MarginMode.ISOLATED}


def test_no_position_skips_the_account_info_call() -> None:
    flat = dict(DOC_POSITION, side="", size="0")
    answer = answer_with(envelope({"list": [flat], "nextPageCursor": ""}))
    assert drive(positions.fetch_positions([BTC], [BTC]), answer) == []
    assert len(answer.calls) == 1


def test_set_leverage_110043_not_modified_is_success() -> None:
    plan = positions.set_leverage(BTC, 10)
    assert drive(plan, answer_with(envelope({}))) == 10
    answer = answer_with(envelope({}, code=110043))
    assert drive(plan, answer) == 10
    body = answer.calls[0].request.body
    assert body == {"category": "linear", "symbol": "BTCUSDT", "buyLeverage": "10",
                    "sellLeverage": "10"}
    with pytest.raises(ExchangeError):
        drive(plan, answer_with(envelope({}, code=110013)))


@pytest.mark.parametrize(("plan", "code", "value"), [
    (positions.set_position_mode(BTC, True), 110025, "hedge"),
    (positions.set_margin_mode(MarginMode.ISOLATED), 110026, "ISOLATED_MARGIN"),
])
def test_position_and_margin_mode_not_modified_is_success(plan: Any, code: int,
                                                         value: str) -> None:
    assert drive(plan, answer_with(envelope({}))) == value
    assert drive(plan, answer_with(envelope({}, code=code))) == value
    with pytest.raises(ExchangeError):
        drive(plan, answer_with(envelope({}, code=110024)))


def test_margin_mode_is_set_for_the_whole_account() -> None:
    answer = answer_with(envelope({}))
    drive(positions.set_margin_mode(MarginMode.CROSS), answer)
    assert answer.calls[0].request.body == {"setMarginMode": "REGULAR_MARGIN"}


def test_cancel_all_lists_first_and_reports_the_cancelled_ids() -> None:
    other = dict(DOC_ORDER, orderId="1616024329462743808", orderLinkId="")
    answer = answer_with(
        envelope({"list": [DOC_ORDER], "nextPageCursor": ""}),
        envelope({"list": [{"orderId": DOC_ORDER["orderId"], "orderLinkId": "test-000005"},
                           {"orderId": other["orderId"], "orderLinkId": ""}],
                  "success": "1"}))
    cancelled = drive(account.cancel_all_orders(ETH), answer)
    assert [c.request.path for c in answer.calls] == ["/v5/order/realtime",
                                                      "/v5/order/cancel-all"]
    assert [(o.order_id, o.status) for o in cancelled] == [
        (DOC_ORDER["orderId"], OrderStatus.CANCELED), (other["orderId"], OrderStatus.CANCELED)]
    assert cancelled[0].quantity == Decimal("0.10")  # from the listing
    assert cancelled[1].quantity is None  # placed meanwhile: only its ids are known


def test_batch_place_reads_ret_ext_info_per_item() -> None:
    orders = [OrderParams(symbol=BTC.symbol, side="buy", type="limit", quantity="0.001",
                          price="30000", client_order_id=f"c{i}") for i in range(2)]
    call = account.place_orders(orders, [BTC, BTC])
    assert call.request.idempotent is False and call.request.cost["batch_create"] == 2
    assert isinstance(call.request.body, dict)
    assert call.request.body["category"] == "linear"
    assert "category" not in call.request.body["request"][0]
    items = call.parse(envelope(
        {"list": [{"category": "linear", "symbol": "BTCUSDT", "orderId": "b2b9",
                   "orderLinkId": "c0", "createAt": "1684738540559"},
                  {"category": "linear", "symbol": "BTCUSDT", "orderId": "",
                   "orderLinkId": "", "createAt": ""}]},
        ext={"list": [{"code": 0, "msg": "OK"},
                      {"code": 110072, "msg": "OrderLinkedID is duplicate"}]}))
    assert isinstance(items[0], OrderResult) and items[0].order_id == "b2b9"
    assert items[0].price == Decimal("30000") and items[0].status is OrderStatus.OPEN
    assert isinstance(items[1], DuplicateOrder) and items[1].code == "110072"


def test_batch_cancel_170213_is_order_not_found() -> None:
    refs = [OrderRef(BTC.symbol, order_id="a"), OrderRef(BTC.symbol, client_order_id="b")]
    call = account.cancel_orders(refs, BTC)
    assert isinstance(call.request.body, dict)
    assert call.request.body["request"] == [{"symbol": "BTCUSDT", "orderId": "a"},
                                            {"symbol": "BTCUSDT", "orderLinkId": "b"}]
    items = call.parse(envelope(
        {"list": [{"category": "linear", "symbol": "BTCUSDT", "orderId": "a",
                   "orderLinkId": ""},
                  {"category": "linear", "symbol": "BTCUSDT", "orderId": "",
                   "orderLinkId": ""}]},
        ext={"list": [{"code": 0, "msg": "OK"},
                      {"code": 170213, "msg": "Order does not exist."}]}))
    assert isinstance(items[0], OrderResult) and items[0].status is OrderStatus.CANCELED
    assert isinstance(items[1], OrderNotFound)


def test_amend_sends_only_what_changes_and_reads_the_order_back() -> None:
    ref = OrderRef(ETH.symbol, client_order_id="test-000005")
    answer = answer_with(envelope({"orderId": DOC_ORDER["orderId"],
                                   "orderLinkId": "test-000005"}),
                         envelope({"list": [dict(DOC_ORDER, price="1590.00")],
                                   "nextPageCursor": ""}))
    amended = drive(account.amend_order(ref, ETH, None, Decimal("1590")), answer)
    assert answer.calls[0].request.body == {"category": "linear", "symbol": "ETHUSDT",
                                            "orderLinkId": "test-000005", "price": "1590"}
    assert dict(answer.calls[1].request.query)["orderId"] == DOC_ORDER["orderId"]
    assert amended.price == Decimal("1590.00")


def test_amend_of_a_missing_order_is_order_not_found() -> None:
    answer = answer_with(envelope({}, code=110001))
    with pytest.raises(OrderNotFound):
        drive(account.amend_order(OrderRef(BTC.symbol, order_id="x"), BTC, Decimal("1"),
                                  None), answer)
    assert len(answer.calls) == 1


def test_ticker_and_book_samples() -> None:
    ticker = market_data.fetch_ticker(BTC).parse(envelope({"category": "linear", "list": [{
        "symbol": "BTCUSDT", "lastPrice": "16597.00", "indexPrice": "16598.54",
        "markPrice": "16596.00", "bid1Price": "16596.00", "bid1Size": "1.557",
        "ask1Price": "16597.50", "ask1Size": "16.482"}]}))
    assert (ticker.bid, ticker.ask, ticker.last) == (Decimal("16596.00"),
                                                     Decimal("16597.50"), Decimal("16597.00"))
    assert ticker.timestamp == datetime.fromtimestamp(1684738540.600, UTC)
    call = market_data.fetch_order_book(BTC, 5000)
    assert dict(call.request.query)["limit"] == "1000"
    book = call.parse(envelope({"s": "BTCUSDT", "b": [["65485.47", "47.081829"]],
                                "a": [["65557.7", "16.606555"]], "ts": 1716863719031,
                                "u": 230704, "seq": 1432604333, "cts": 1716863718905}))
    assert book.sequence == 230704 and book.best_ask == (Decimal("65557.7"),
                                                         Decimal("16.606555"))
