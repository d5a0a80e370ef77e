"""Account-state and market-data parsers on BingX's documented sample payloads.

Bodies are the docs' examples as quoted in bingx-account-streams.md (BX-V3), kept as JSON
text so the int64 order ids arrive as JSON numbers, exactly as BingX sends them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from venuekit.account_models import MarginMode, PositionSide
from venuekit.errors import InsufficientFunds, OrderNotFound, VenueError
from venuekit.flows import drive
from venuekit.models import (
    Market,
    MarketKind,
    OrderParams,
    OrderRef,
    OrderResult,
    OrderStatus,
    Side,
)
from venuekit.wire import Call, Response
from venuekit_bingx import account, signing, trading

BTC = Market(symbol="BTC/USDT:USDT", native="BTC-USDT", base="BTC", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.1"),
             step_size=Decimal("0.0001"), min_quantity=Decimal("0.0001"))
WLD = Market(symbol="WLD/USDT:USDT", native="WLD-USDT", base="WLD", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.0001"),
             step_size=Decimal("0.01"), min_quantity=Decimal("1"))
BNB = Market(symbol="BNB/USDT:USDT", native="BNB-USDT", base="BNB", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.01"),
             step_size=Decimal("0.01"), min_quantity=Decimal("0.01"))


def answer(body: str) -> Response:
    return Response(exchange="bingx", status=200, headers={}, body=body.encode())


# openOrders (BX-V3 example; orderId above 2**53 as a JSON number)
OPEN_ORDERS = ('{"code":0,"msg":"","data":{"orders":[{"symbol":"BTC-USDT",'
               '"orderId":1733405587011123500,"side":"SELL","positionSide":"LONG",'
               '"type":"LIMIT","origQty":"0.0030","price":"44459.6","executedQty":"0.0000",'
               '"avgPrice":"0.0","status":"PENDING","time":1702256915574,'
               '"updateTime":1702256915610,"clientOrderId":"","leverage":""}]}}')


def test_open_orders_keep_the_int64_id_exact() -> None:
    orders = account.fetch_open_orders(None, [BTC]).parse(answer(OPEN_ORDERS))
    assert [o.order_id for o in orders] == ["1733405587011123500"]  # not 1733405587011123456
    assert orders[0].status is OrderStatus.OPEN and orders[0].quantity == Decimal("0.003")
    assert orders[0].side is Side.SELL and orders[0].price == Decimal("44459.6")


def test_open_orders_of_one_symbol_and_of_all() -> None:
    one = account.fetch_open_orders(BTC, [BTC])
    assert dict(one.request.query)["symbol"] == "BTC-USDT"
    assert "symbol" not in dict(account.fetch_open_orders(None, [BTC]).request.query)
    assert account.fetch_open_orders(None, [WLD]).parse(answer(OPEN_ORDERS)) == []


# fillHistory (BX-V3 example; the docs' own qty/volume disagree, see the README)
FILLS = ('{"code":0,"msg":"","data":{"fill_history_orders":[{"filledTm":"2023-12-16T20:58:36Z",'
         '"volume":"4.10","price":"3.1088","qty":"12.74","quoteQty":"211.40",'
         '"commission":"-0.0025","commissionAsset":"USDT","orderId":"1736007768311123456",'
         '"tradeId":"241512","filledTime":"2023-12-16T20:58:36.000+0800","symbol":"WLD-USDT",'
         '"role":"maker","side":"buy","positionSide":"short"}],"total":290}}')


def test_fill_history_row_has_the_trade_id() -> None:
    pages = account.fetch_my_trades(WLD, None, None)
    first = pages.first.parse(answer('{"code":0,"msg":"","data":{"serverTime":1702731516000}}'))
    assert first.items == () and first.next is not None
    page = first.next.parse(answer(FILLS))
    (fill,) = page.items
    assert fill.trade_id == "241512" and fill.order_id == "1736007768311123456"
    assert fill.quantity == Decimal("12.74") and fill.price == Decimal("3.1088")
    assert fill.side is Side.BUY and fill.is_maker is True
    assert fill.fee == Decimal("0.0025") and fill.fee_currency == "USDT"
    assert fill.timestamp == datetime(2023, 12, 16, 12, 58, 36, tzinfo=UTC)  # +0800
    assert page.next is not None and ("lastFillId", "241512") in page.next.request.query


def test_fill_window_comes_from_the_venue_clock_and_reaches_seven_days() -> None:
    now = 1702731516000
    clock = '{"code":0,"msg":"","data":{"serverTime":' + str(now) + "}}"
    pages = account.fetch_my_trades(WLD, None, limit=20)
    assert pages.first.request.path == "/openApi/swap/v2/server/time"
    call = pages.first.parse(answer(clock)).next
    assert call is not None
    query = dict(call.request.query)
    assert query["startTs"] == str(now - 7 * 24 * 3600 * 1000) and query["endTs"] == str(now)
    assert query["pageSize"] == "20" and query["symbol"] == "WLD-USDT"
    since = datetime.fromtimestamp((now - 3600_000) / 1000, UTC)
    later = account.fetch_my_trades(WLD, since, None).first.parse(answer(clock)).next
    assert later is not None
    assert dict(later.request.query)["startTs"] == str(now - 3600_000 - 1)  # exclusive
    empty = later.parse(answer('{"code":0,"msg":"","data":{"fill_history_orders":[],'
                               '"total":0}}'))
    assert empty.next is None


# positions (BX-V3 example, a short in coin)
POSITIONS = ('{"code":0,"msg":"","data":[{"positionId":"1735*****52","symbol":"BNB-USDT",'
             '"currency":"USDT","positionAmt":"0.20","availableAmt":"0.20",'
             '"positionSide":"SHORT","isolated":true,"avgPrice":"246.43",'
             '"initialMargin":"9.7914","leverage":5,"unrealizedProfit":"-0.0653",'
             '"realisedProfit":"-0.0251","liquidationPrice":294.16914617776246}]}')


def test_position_from_the_docs_example() -> None:
    (position,) = account.fetch_positions(None, [BNB]).parse(answer(POSITIONS))
    assert position.side is PositionSide.SHORT and position.quantity == Decimal("0.20")
    assert position.entry_price == Decimal("246.43")
    assert position.unrealized_pnl == Decimal("-0.0653")
    assert position.leverage == Decimal(5)
    assert position.liquidation_price == Decimal("294.16914617776246")  # float64, exact
    assert position.margin_mode is MarginMode.ISOLATED


def test_one_way_position_side_falls_back_to_the_sign() -> None:
    body = POSITIONS.replace('"positionSide":"SHORT"', '"positionSide":"BOTH"').replace(
        '"positionAmt":"0.20"', '"positionAmt":"-0.20"')
    (position,) = account.fetch_positions([BNB], [BNB]).parse(answer(body))
    assert position.side is PositionSide.SHORT and position.quantity == Decimal("0.20")


# cancel-all and batch cancel: success / failed lists
CANCELLED = ('{"code":0,"msg":"","data":{"success":[{"symbol":"BTC-USDT",'
             '"orderId":1733405587011123500,"side":"SELL","positionSide":"LONG",'
             '"type":"LIMIT","origQty":"0.0030","price":"44459.6","executedQty":"0.0000",'
             '"avgPrice":"0.0","status":"CANCELLED","time":1702256915574,'
             '"updateTime":1702256915610,"clientOrderId":"a1"}],'
             '"failed":[{"orderId":1733405587011123501,"clientOrderId":"",'
             '"errorCode":109421,"errorMessage":"order not exist"}]}}')


def test_cancel_all_returns_the_cancelled_and_tolerates_gone_ones() -> None:
    call = trading.cancel_all_orders(BTC)
    assert (call.request.method, dict(call.request.query)["symbol"]) == ("DELETE", "BTC-USDT")
    (order,) = call.parse(answer(CANCELLED))
    assert order.status is OrderStatus.CANCELED and order.order_id == "1733405587011123500"
    refused = CANCELLED.replace("109421", "101204")
    with pytest.raises(InsufficientFunds):
        call.parse(answer(refused))


def test_batch_cancel_writes_ids_as_bare_digits_and_matches_results() -> None:
    refs = [OrderRef(BTC.symbol, order_id="1733405587011123500"),
            OrderRef(BTC.symbol, order_id="1733405587011123501"),
            OrderRef(BTC.symbol, order_id="1733405587011123502")]
    call = trading.cancel_orders(refs, BTC)
    assert dict(call.request.query)["orderIdList"] == (
        "[1733405587011123500,1733405587011123501,1733405587011123502]")
    done, failed, unknown = call.parse(answer(CANCELLED))
    assert isinstance(done, OrderResult) and done.status is OrderStatus.CANCELED
    assert isinstance(failed, OrderNotFound) and str(failed.code) == "109421"
    assert isinstance(unknown, OrderNotFound)


def test_batch_cancel_by_client_ids_lower_cases_them() -> None:
    call = trading.cancel_orders([OrderRef(BTC.symbol, client_order_id="A1")], BTC)
    assert dict(call.request.query)["clientOrderIdList"] == '["a1"]'
    (done,) = call.parse(answer(CANCELLED))
    assert isinstance(done, OrderResult)


# batch place (BX-V3 example answer shape)
def orders() -> list[OrderParams]:
    return [OrderParams(symbol=BTC.symbol, side="buy", type="limit", quantity="0.001",
                        price="40000", client_order_id=f"vkA{i}") for i in range(3)]


def test_batch_place_json_has_bare_numbers_and_is_signed_raw() -> None:
    call = trading.place_orders(orders()[:1], [BTC])
    assert call.request.idempotent is False
    batch = dict(call.request.query)["batchOrders"]
    assert batch == ('[{"symbol":"BTC-USDT","side":"BUY","positionSide":"BOTH",'
                     '"type":"LIMIT","quantity":0.001,"price":40000,"timeInForce":"GTC",'
                     '"clientOrderId":"vka0"}]')
    signed = signing.sign(call.request, _auth(), 1700000000000)
    raw = f"batchOrders={batch}&recvWindow=5000&timestamp=1700000000000"
    assert signed.query_string.endswith("&signature=" + signing.signature("s", raw))
    assert "%5B%7B%22symbol%22" in signed.query_string  # values URL-encoded on the wire


def _auth() -> Any:
    from venuekit.models import Auth, Credentials
    return Auth(Credentials(api_key="k", api_secret="s"))


def test_batch_place_items_are_matched_by_client_id() -> None:
    body = ('{"code":0,"msg":"","data":{"orders":['
            '{"symbol":"BTC-USDT","orderId":1736010300483712300,"side":"BUY",'
            '"positionSide":"BOTH","type":"LIMIT","clientOrderId":"vka1","workingType":""},'
            '{"clientOrderId":"vka0","code":101204,"msg":"Insufficient margin"}]}}')
    placed = trading.place_orders(orders(), [BTC] * 3).parse(answer(body))
    refused, ok, missing = placed
    assert isinstance(refused, InsufficientFunds)
    assert isinstance(ok, OrderResult) and ok.order_id == "1736010300483712300"
    assert isinstance(missing, VenueError) and missing.ambiguous  # the core looks it up


# amend and leverage
def test_amend_is_quantity_only() -> None:
    ref = OrderRef(BTC.symbol, order_id="1733405587011123500")
    assert trading.amend_order(ref, BTC, None, Decimal("40000")) is None
    assert trading.amend_order(ref, BTC, Decimal("0.002"), Decimal("40000")) is None
    plan = trading.amend_order(ref, BTC, Decimal("0.002"), None)
    assert plan is not None
    sent: list[Call[Any]] = []

    def reply(call: Call[Any]) -> Any:
        sent.append(call)
        if call.request.path == trading.AMEND_PATH:
            return call.parse(answer('{"code":0,"msg":"","data":{}}'))
        return call.parse(answer('{"code":0,"msg":"","data":{"order":'
                                 + OPEN_ORDERS.split('"orders":[')[1].split("]}}")[0]
                                 .replace('"0.0030"', '"0.0020"') + "}}"))
    amended = drive(plan, reply)
    assert dict(sent[0].request.query) == {"symbol": "BTC-USDT",
                                           "orderId": "1733405587011123500",
                                           "quantity": "0.002", "recvWindow": "5000"}
    assert amended.quantity == Decimal("0.002")


LEVERAGE = ('{"code":0,"msg":"","data":{"longLeverage":50,"shortLeverage":50,'
            '"maxLongLeverage":75,"maxShortLeverage":75}}')


def _leverage(wanted: int) -> tuple[Any, list[str]]:
    sent: list[str] = []

    def reply(call: Call[Any]) -> Any:
        sent.append(call.request.method)
        if call.request.method == "GET":
            return call.parse(answer(LEVERAGE))
        return call.parse(answer('{"code":0,"msg":"","data":{"leverage":' + str(wanted)
                                 + ',"symbol":"BTC-USDT"}}'))
    try:
        return drive(trading.set_leverage(BTC, wanted), reply), sent
    except Exception as exc:
        return exc, sent


def test_leverage_above_the_maximum_is_refused_before_the_change() -> None:
    from venuekit.errors import InvalidArgument
    result, sent = _leverage(76)
    assert isinstance(result, InvalidArgument) and sent == ["GET"]


def test_leverage_already_in_force_sends_no_change() -> None:
    assert _leverage(50) == (50, ["GET"])
    assert _leverage(8) == (8, ["GET", "POST"])


# market data
def test_ticker_and_book() -> None:
    ticker = account.fetch_ticker(BTC).parse(answer(
        '{"code":0,"msg":"","data":{"symbol":"BTC-USDT","lastPrice":"43000.5",'
        '"bidPrice":43000.4,"bidQty":1.2,"askPrice":43000.6,"askQty":0.7,'
        '"closeTime":1702256915574}}'))
    assert (ticker.bid, ticker.ask, ticker.last) == (
        Decimal("43000.4"), Decimal("43000.6"), Decimal("43000.5"))
    call = account.fetch_order_book(BTC, 7)
    assert dict(call.request.query)["limit"] == "10"
    book = call.parse(answer('{"code":0,"msg":"","data":{"T":1702256915574,'
                             '"bids":[["43000.4","51600"]],"asks":[["43000.6","30100"]],'
                             '"bidsCoin":[["43000.4","1.2"]],"asksCoin":[["43000.6","0.7"]]}}'))
    assert book.bids == ((Decimal("43000.4"), Decimal("1.2")),)  # coin, not the other list
    assert book.asks == ((Decimal("43000.6"), Decimal("0.7")),)
