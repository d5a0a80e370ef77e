"""Account-state parsers and plans on the sample payloads of Binance's endpoint pages.

Plans are run with :func:`venuekit.flows.drive` against canned responses: no core, no
network. Payloads are the pages' examples (binance-account-streams.md section 2).
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from venuekit.account_models import MarginMode, PositionSide
from venuekit.errors import BadResponse, ExchangeError, OrderNotFound, VenueError
from venuekit.flows import Page, drive
from venuekit.models import Market, MarketKind, OrderParams, OrderRef, OrderResult, OrderStatus
from venuekit.payload import Reader
from venuekit.wire import Call, Response
from venuekit_binance import account, errors, fills, market_data, positions

BTC = Market(symbol="BTC/USDT:USDT", native="BTCUSDT", base="BTC", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.1"),
             step_size=Decimal("0.001"), min_quantity=Decimal("0.001"), max_leverage=125)
ETH = Market(symbol="ETH/USDT:USDT", native="ETHUSDT", base="ETH", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.01"),
             step_size=Decimal("0.001"), min_quantity=Decimal("0.001"))


def response(payload: Any, status: int = 200) -> Response:
    return Response(exchange="binance", status=status, headers={},
                    body=json.dumps(payload).encode())


def answer_with(*payloads: Any) -> Any:
    """An ``answer`` for drive(): each call parses the next payload; the calls are kept."""
    queue = list(payloads)
    seen: list[Call[Any]] = []

    def answer(call: Call[Any]) -> Any:
        seen.append(call)
        payload = queue.pop(0)
        if isinstance(payload, Response):
            error = errors.parse_error(payload)
            if error is not None:
                raise error
            return call.parse(payload)
        return call.parse(response(payload))
    answer.calls = seen  # type: ignore[attr-defined]
    return answer


#: Query Current All Open Orders / Query Order page example (trimmed to a LIMIT order).
DOC_ORDER = {"avgPrice": "0.00000", "clientOrderId": "abc", "cumQuote": "0",
             "executedQty": "0", "orderId": 1917641, "origQty": "0.40", "origType": "LIMIT",
             "price": "9300", "reduceOnly": False, "side": "BUY", "positionSide": "SHORT",
             "status": "NEW", "stopPrice": "0", "closePosition": False, "symbol": "BTCUSDT",
             "time": 1579276756075, "timeInForce": "GTC", "type": "LIMIT",
             "updateTime": 1579276756075, "workingType": "CONTRACT_PRICE",
             "priceMatch": "NONE", "selfTradePreventionMode": "NONE", "goodTillDate": 0}

#: Account Trade List page example.
DOC_TRADE = {"buyer": False, "commission": "-0.07819010", "commissionAsset": "USDT",
             "id": 698759, "maker": False, "orderId": 25851813, "price": "7819.01",
             "qty": "0.002", "quoteQty": "15.63802", "realizedPnl": "-0.91539999",
             "side": "SELL", "positionSide": "SHORT", "symbol": "BTCUSDT",
             "time": 1569514978020}

#: Position Information V3 page example (hedge mode, a short leg; trimmed).
DOC_POSITION_V3 = {"symbol": "BTCUSDT", "positionSide": "SHORT", "positionAmt": "-1.000",
                   "entryPrice": "22185.2", "breakEvenPrice": "0.0",
                   "markPrice": "21123.05052574", "unRealizedProfit": "1.06214947",
                   "liquidationPrice": "30731.45529116", "isolatedMargin": "0",
                   "notional": "-21123.05052574", "marginAsset": "USDT",
                   "isolatedWallet": "0", "initialMargin": "0", "maintMargin": "0",
                   "adl": 2, "updateTime": 1655217461579}

#: Symbol Configuration page example.
DOC_SYMBOL_CONFIG = {"symbol": "BTCUSDT", "marginType": "CROSSED", "isAutoAddMargin": "false",
                     "leverage": 21, "maxNotionalValue": "1000000"}


def test_open_orders_of_every_symbol_skip_unlisted_markets() -> None:
    call = account.fetch_open_orders(None, [BTC, ETH])
    assert list(call.request.query) == [] and call.request.cost == {"ip": 40}
    quarterly = {**DOC_ORDER, "symbol": "BTCUSDT_250627", "orderId": 5}
    orders = call.parse(response([DOC_ORDER, quarterly]))
    assert [(o.symbol, o.order_id, o.price, o.quantity, o.status) for o in orders] == [
        ("BTC/USDT:USDT", "1917641", Decimal("9300"), Decimal("0.40"), OrderStatus.OPEN)]
    one = account.fetch_open_orders(BTC, [BTC, ETH])
    assert list(one.request.query) == [("symbol", "BTCUSDT")] and one.request.cost == {"ip": 1}


def test_a_user_trade_is_a_fill_with_its_trade_id() -> None:
    fill = fills.fill(Reader.of(response(DOC_TRADE)), BTC)
    assert fill.trade_id == "698759" and fill.order_id == "25851813"
    assert fill.side.value == "sell" and fill.price == Decimal("7819.01")
    assert fill.quantity == Decimal("0.002") and fill.fee == Decimal("-0.07819010")
    assert fill.fee_currency == "USDT" and fill.is_maker is False
    assert fill.timestamp == datetime.fromtimestamp(1569514978.020, UTC)


def test_int64_ids_keep_every_digit() -> None:
    big = 9_223_372_036_854_775_806  # above 2**53: a float would round it
    row = {**DOC_TRADE, "id": big, "orderId": big - 1}
    fill = fills.fill(Reader.of(
        Response(exchange="binance", status=200, headers={},
                 body=json.dumps(row).encode())), BTC)
    assert (fill.trade_id, fill.order_id) == (str(big), str(big - 1))


def test_positions_merge_position_risk_v3_with_symbol_config() -> None:
    plan = positions.fetch_positions(None, [BTC, ETH])
    flat = {**DOC_POSITION_V3, "symbol": "ETHUSDT", "positionAmt": "0.000",
            "positionSide": "BOTH"}
    answer = answer_with([DOC_POSITION_V3, flat], [DOC_SYMBOL_CONFIG])
    found = drive(plan, answer)
    assert [c.request.path for c in answer.calls] == ["/fapi/v3/positionRisk",
                                                      "/fapi/v1/symbolConfig"]
    (short,) = found
    assert short.symbol == "BTC/USDT:USDT" and short.side is PositionSide.SHORT
    assert short.quantity == Decimal("1.000") and short.entry_price == Decimal("22185.2")
    assert short.mark_price == Decimal("21123.05052574")
    assert short.unrealized_pnl == Decimal("1.06214947")
    assert short.liquidation_price == Decimal("30731.45529116")
    assert short.leverage == Decimal(21) and short.margin_mode is MarginMode.CROSS


def test_one_way_positions_take_their_side_from_the_sign() -> None:
    row = {**DOC_POSITION_V3, "positionSide": "BOTH", "positionAmt": "0.5",
           "liquidationPrice": "0"}
    config = {**DOC_SYMBOL_CONFIG, "marginType": "ISOLATED"}
    (long,) = drive(positions.fetch_positions([BTC], [BTC]), answer_with([row], [config]))
    assert long.side is PositionSide.LONG and long.quantity == Decimal("0.5")
    assert long.liquidation_price is None and long.margin_mode is MarginMode.ISOLATED


def test_no_position_makes_one_call_only() -> None:
    answer = answer_with([])
    assert drive(positions.fetch_positions([BTC], [BTC]), answer) == []
    assert len(answer.calls) == 1 and list(answer.calls[0].request.query) == [("symbol", "BTCUSDT")]


def test_cancel_all_lists_first_and_takes_http_200_code_200_as_success() -> None:
    answer = answer_with([DOC_ORDER], {"code": 200, "msg": "The operation of cancel all "
                                                        "open order is done."})
    cancelled = drive(account.cancel_all_orders(BTC), answer)
    assert [c.request.method + " " + c.request.path for c in answer.calls] == [
        "GET /fapi/v1/openOrders", "DELETE /fapi/v1/allOpenOrders"]
    assert [(o.order_id, o.status) for o in cancelled] == [("1917641", OrderStatus.CANCELED)]
    # the error reader lets the same body through: HTTP 200 with "code": 200 is no error
    assert errors.parse_error(response({"code": 200, "msg": "success"})) is None


def test_cancel_all_with_nothing_open_sends_no_delete() -> None:
    answer = answer_with([])
    assert drive(account.cancel_all_orders(BTC), answer) == []
    assert len(answer.calls) == 1


def test_batch_items_are_orders_or_their_errors() -> None:
    orders = [OrderParams(symbol=BTC.symbol, side="buy", type="limit", quantity="0.001",
                          price="10001", client_order_id=f"c{i}") for i in range(2)]
    call = account.place_orders(orders, [BTC, BTC])
    assert call.request.idempotent is False
    sent = json.loads(dict(call.request.body)["batchOrders"])  # type: ignore[arg-type]
    assert sent[0] == {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
                       "quantity": "0.001", "price": "10001", "timeInForce": "GTC",
                       "newClientOrderId": "c0", "newOrderRespType": "RESULT"}
    items = call.parse(response([DOC_ORDER, {"code": -2022,
                                             "msg": "ReduceOnly Order is rejected."}]))
    assert isinstance(items[0], OrderResult)
    assert isinstance(items[1], VenueError) and items[1].code == "-2022"


def test_batch_cancel_by_ids_and_by_client_ids_in_input_order() -> None:
    refs = [OrderRef(BTC.symbol, order_id="1917641"), OrderRef(BTC.symbol, client_order_id="x"),
            OrderRef(BTC.symbol, order_id="7")]
    answer = answer_with([DOC_ORDER, {"code": -2011, "msg": "Unknown order sent."}],
                         [{**DOC_ORDER, "orderId": 8, "clientOrderId": "x"}])
    items = drive(account.cancel_orders(refs, BTC), answer)
    first, second = (dict(c.request.query) for c in answer.calls)
    assert first["orderIdList"] == "[1917641,7]"
    assert second["origClientOrderIdList"] == '["x"]'
    assert isinstance(items[0], OrderResult) and items[0].order_id == "1917641"
    assert isinstance(items[1], OrderResult) and items[1].client_order_id == "x"
    assert isinstance(items[2], OrderNotFound)


def test_amend_reads_the_order_and_sends_side_quantity_and_price() -> None:
    ref = OrderRef(BTC.symbol, order_id="1917641")
    answer = answer_with(DOC_ORDER, {**DOC_ORDER, "price": "9250"})
    amended = drive(account.amend_order(ref, BTC, None, Decimal("9250")), answer)
    put = answer.calls[1].request
    assert (put.method, put.path) == ("PUT", "/fapi/v1/order")
    assert dict(put.body) == {"symbol": "BTCUSDT", "orderId": "1917641",  # type: ignore[arg-type]
                              "side": "BUY", "quantity": "0.4", "price": "9250"}
    assert amended.price == Decimal("9250")


def test_amend_of_a_missing_order_is_order_not_found_and_sends_no_put() -> None:
    answer = answer_with(response({"code": -2013, "msg": "Order does not exist."}, 400))
    with pytest.raises(OrderNotFound):
        drive(account.amend_order(OrderRef(BTC.symbol, order_id="1"), BTC, Decimal("1"),
                                  None), answer)
    assert len(answer.calls) == 1


def test_set_leverage_reads_the_leverage_in_force() -> None:
    call = account.set_leverage(BTC, 21)
    assert dict(call.request.body) == {"symbol": "BTCUSDT", "leverage": "21"}  # type: ignore[arg-type]
    assert call.parse(response({"leverage": 21, "maxNotionalValue": "1000000",
                                "symbol": "BTCUSDT"})) == 21


@pytest.mark.parametrize(("plan", "code", "wanted"), [
    (account.set_margin_mode(BTC, MarginMode.ISOLATED), -4046, "ISOLATED"),
    (account.set_position_mode(True), -4059, "true"),
])
def test_margin_type_and_position_mode_already_set_is_success(plan: Any, code: int,
                                                             wanted: str) -> None:
    assert drive(plan, answer_with({"code": 200, "msg": "success"})) == wanted
    already = response({"code": code, "msg": "No need to change."}, 400)
    assert drive(plan, answer_with(already)) == wanted
    other = response({"code": -4048, "msg": "Margin type cannot be changed if there "
                                            "exists position."}, 400)
    with pytest.raises(ExchangeError):
        drive(plan, answer_with(other))


def test_ticker_merges_book_ticker_and_last_price() -> None:
    book = {"symbol": "BTCUSDT", "bidPrice": "4.00000000", "bidQty": "431.00000000",
            "askPrice": "4.00000200", "askQty": "9.00000000", "time": 1589437530011}
    last = {"symbol": "BTCUSDT", "price": "6000.01", "time": 1589437530012}
    ticker = drive(market_data.fetch_ticker(BTC), answer_with(book, last))
    assert (ticker.bid, ticker.ask, ticker.last) == (Decimal("4.00000000"),
                                                     Decimal("4.00000200"), Decimal("6000.01"))
    assert ticker.timestamp == datetime.fromtimestamp(1589437530.012, UTC)


def test_order_book_keeps_last_update_id_and_asks_the_smallest_limit() -> None:
    call = market_data.fetch_order_book(BTC, 7)
    assert list(call.request.query) == [("symbol", "BTCUSDT"), ("limit", "10")]
    assert market_data.fetch_order_book(BTC, 5000).request.cost == {"ip": 20}
    book = call.parse(response({"lastUpdateId": 1027024, "E": 1589436922972,
                                "T": 1589436922959, "bids": [["4.00000000", "431.00000000"]],
                                "asks": [["4.00000200", "12.00000000"]]}))
    assert book.sequence == 1027024
    assert book.bids == ((Decimal("4.00000000"), Decimal("431.00000000")),)
    assert book.timestamp == datetime.fromtimestamp(1589436922.959, UTC)


def test_a_malformed_payload_is_bad_response() -> None:
    with pytest.raises(BadResponse):
        account.fetch_open_orders(BTC, [BTC]).parse(response({"not": "a list"}))


# ---------------------------------------------------------------- fills: windows


DAY = 24 * 3600 * 1000
NOW = 1_700_000_000_000


def _query(call: Call[Any]) -> dict[str, str]:
    return dict(call.request.query)


def test_without_since_the_walk_goes_back_seven_days_at_a_time() -> None:
    pages = fills.fetch_my_trades(BTC, None, 10, now_ms=NOW)
    first = _query(pages.first)
    end = NOW + fills.CLOCK_SLACK_MS
    assert pages.walk.value == "backward"
    assert int(first["endTime"]) == end
    assert int(first["endTime"]) - int(first["startTime"]) == 7 * DAY - 1
    assert first["limit"] == "1000"
    page = pages.first.parse(response([DOC_TRADE]))
    assert [f.trade_id for f in page.items] == ["698759"]
    assert page.next is not None
    assert int(_query(page.next)["endTime"]) == int(first["startTime"]) - 1


def test_with_since_the_walk_goes_forward_and_ends_at_now() -> None:
    since = datetime.fromtimestamp((NOW - 10 * DAY) / 1000, UTC)
    pages = fills.fetch_my_trades(BTC, since, None, now_ms=NOW)
    assert pages.walk.value == "forward"
    calls = [pages.first]
    while True:
        page = calls[-1].parse(response([]))
        if page.next is None:
            break
        calls.append(page.next)
    spans = [(int(_query(c)["startTime"]), int(_query(c)["endTime"])) for c in calls]
    assert spans[0][0] == NOW - 10 * DAY
    assert spans[-1][1] == NOW + fills.CLOCK_SLACK_MS
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(spans))
    assert all(end - start < 7 * DAY for start, end in spans)


def test_a_full_page_is_dropped_and_its_window_read_again_in_halves(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fills, "MAX_FILLS_PAGE", 2)
    since = datetime.fromtimestamp((NOW - DAY) / 1000, UTC)
    pages = fills.fetch_my_trades(BTC, since, None, now_ms=NOW)
    start, end = (int(_query(pages.first)[k]) for k in ("startTime", "endTime"))
    page: Page[Any] = pages.first.parse(response([DOC_TRADE, {**DOC_TRADE, "id": 2}]))
    assert page.items == ()  # truncated: which two of the window came back is unknown
    assert page.next is not None
    older = _query(page.next)
    assert (int(older["startTime"]), int(older["endTime"])) == (start, (start + end) // 2)
    assert page.next.parse(response([])).next is not None  # the newer half follows

