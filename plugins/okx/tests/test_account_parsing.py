"""Account-state and market-data parsers against OKX's documented sample payloads.

Samples are the docs' examples as quoted in okx-account-streams.md (OK-QH). Where the docs
show a spot or margin row, the same keys are used with a swap ``instId`` (noted per sample):
OKX documents the same fields for SWAP, with sizes in contracts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from okx_helpers import envelope, response
from venuekit import BadResponse, ExchangeError, InvalidArgument, Market, OrderNotFound
from venuekit.account_models import MarginMode, PositionSide
from venuekit.errors import VenueError
from venuekit.flows import Page, drive
from venuekit.models import OrderRef, OrderResult, OrderStatus, Side
from venuekit.payload import Reader
from venuekit.wire import Call, Response, SignedRequest
from venuekit_okx import account, errors, parsing, trading

INSTRUMENT = {"instType": "SWAP", "instId": "BTC-USDT-SWAP", "instFamily": "BTC-USDT",
              "settleCcy": "USDT", "ctVal": "0.01", "ctType": "linear", "lever": "100",
              "tickSz": "0.1", "lotSz": "0.01", "minSz": "0.01", "state": "live"}


@pytest.fixture
def btc() -> Market:
    return parsing.markets(response(envelope([INSTRUMENT])))[0]


def test_max_leverage_comes_from_the_instruments_lever(btc: Market) -> None:
    assert btc.max_leverage == 100
    row = dict(INSTRUMENT, lever="")
    assert parsing.markets(response(envelope([row])))[0].max_leverage is None


# orders-pending (docs' row; instId swapped to the swap, sz in contracts)
PENDING = {"instId": "BTC-USDT-SWAP", "ordId": "1752588852617379840", "clOrdId": "",
           "ordType": "post_only", "side": "buy", "posSide": "net", "px": "13013.5",
           "sz": "3", "accFillSz": "0", "avgPx": "", "state": "live", "tdMode": "cross",
           "cTime": "1724733617998", "uTime": "1724733617998"}


def test_open_orders_convert_contracts_and_skip_unlisted_instruments(btc: Market) -> None:
    inverse = dict(PENDING, instId="BTC-USD-SWAP", ordId="1")
    plan = account.fetch_open_orders(None, [btc])
    orders = drive(plan, lambda call: call.parse(response(envelope([PENDING, inverse]))))
    assert len(orders) == 1
    assert orders[0].order_id == "1752588852617379840"  # int64 id kept as text
    assert orders[0].quantity == Decimal("0.03")  # 3 contracts of 0.01 BTC
    assert orders[0].status is OrderStatus.OPEN and orders[0].price == Decimal("13013.5")


def test_open_orders_page_by_after_until_a_short_page(btc: Market) -> None:
    pages = [[dict(PENDING, ordId="30"), dict(PENDING, ordId="20")],
             [dict(PENDING, ordId="10")]]
    seen: list[list[tuple[str, str]]] = []

    def answer(call: Call[Any]) -> Any:
        seen.append(list(call.request.query))
        return call.parse(response(envelope(pages[len(seen) - 1])))
    orders = drive(account.fetch_open_orders(btc, [btc], page_size=2), answer)
    assert [o.order_id for o in orders] == ["30", "20", "10"]
    assert seen[0] == [("instType", "SWAP"), ("instId", "BTC-USDT-SWAP"), ("limit", "2")]
    assert ("after", "20") in seen[1]
    assert len(seen) == 2  # the short second page ended the walk


# fills (docs' row; instId swapped to the swap, fillSz in contracts)
FILL = {"instId": "BTC-USDT-SWAP", "tradeId": "744876980", "ordId": "680800019749904384",
        "clOrdId": "", "billId": "680800019754098688", "side": "buy", "posSide": "net",
        "fillPx": "51858", "fillSz": "2", "fee": "-0.0518", "feeCcy": "USDT",
        "execType": "T", "fillTime": "1708587373361", "ts": "1708587373362", "subType": "1"}


def test_fill_in_base_with_the_trade_id_and_a_positive_fee(btc: Market) -> None:
    fill = account.fill(row_of(FILL), btc)
    assert fill.trade_id == "744876980" and fill.order_id == "680800019749904384"
    assert fill.quantity == Decimal("0.02") and fill.price == Decimal("51858")
    assert fill.side is Side.BUY and fill.is_maker is False
    assert fill.fee == Decimal("0.0518") and fill.fee_currency == "USDT"
    assert fill.timestamp == datetime.fromtimestamp(1708587373.361, UTC)  # fillTime, not ts
    assert fill.client_order_id is None
    rebate = account.fill(row_of(dict(FILL, fee="0.01", execType="M")), btc)
    assert rebate.fee == Decimal("-0.01") and rebate.is_maker is True


def row_of(row: dict[str, Any]) -> Reader:
    return parsing.data(response(envelope([row])))[0]


def test_fills_walk_backward_by_bill_id_and_end_on_an_empty_page(btc: Market) -> None:
    since = datetime(2024, 2, 1, tzinfo=UTC)
    pages = account.fetch_my_trades(btc, since, limit=None)
    assert pages.walk.value == "backward"
    assert dict(pages.first.request.query) == {
        "instType": "SWAP", "instId": "BTC-USDT-SWAP", "begin": "1706745600000",
        "limit": "100"}
    first: Page[Any] = pages.first.parse(response(envelope([FILL])))
    assert [f.trade_id for f in first.items] == ["744876980"]
    assert first.next is not None
    assert ("after", "680800019754098688") in first.next.request.query  # billId, not tradeId
    assert dict(first.next.request.query)["begin"] == "1706745600000"
    last: Page[Any] = first.next.parse(response(envelope([])))
    assert last.items == () and last.next is None


def test_fills_page_size_follows_a_small_limit(btc: Market) -> None:
    pages = account.fetch_my_trades(btc, None, limit=7)
    assert dict(pages.first.request.query)["limit"] == "7"
    assert "begin" not in dict(pages.first.request.query)


# positions (docs' MARGIN row with the swap's instId/instType; pos in contracts)
POSITION = {"instId": "BTC-USDT-SWAP", "instType": "SWAP", "mgnMode": "isolated",
            "posSide": "net", "pos": "-25", "avgPx": "62961.4", "markPx": "62891.9",
            "upl": "0.17", "lever": "5", "liqPx": "53615.448336593756", "ccy": "USDT",
            "posId": "1752810569801498626", "tradeId": "785524470", "uTime": "1724742632153"}


def test_position_sign_gives_the_side_in_net_mode(btc: Market) -> None:
    position = account.position(row_of(POSITION), btc)
    assert position is not None
    assert position.side is PositionSide.SHORT
    assert position.quantity == Decimal("0.25")  # 25 contracts x 0.01 BTC
    assert position.entry_price == Decimal("62961.4")
    assert position.mark_price == Decimal("62891.9")
    assert position.unrealized_pnl == Decimal("0.17")
    assert position.leverage == Decimal(5)
    assert position.liquidation_price == Decimal("53615.448336593756")
    assert position.margin_mode is MarginMode.ISOLATED


def test_position_side_in_long_short_mode_and_flat_rows(btc: Market) -> None:
    long_row = dict(POSITION, posSide="short", pos="4", liqPx="")
    position = account.position(row_of(long_row), btc)
    assert position is not None and position.side is PositionSide.SHORT
    assert position.quantity == Decimal("0.04") and position.liquidation_price is None
    assert account.position(row_of(dict(POSITION, pos="0")), btc) is None


def test_positions_call_names_at_most_ten_instruments(btc: Market) -> None:
    call = account.fetch_positions([btc], [btc])
    assert dict(call.request.query) == {"instType": "SWAP", "instId": "BTC-USDT-SWAP"}
    unknown = dict(POSITION, instId="BTC-USD-SWAP")
    assert call.parse(response(envelope([POSITION, unknown])))[0].symbol == btc.symbol
    assert len(call.parse(response(envelope([POSITION, unknown])))) == 1


# cancel-batch-orders: docs' answer, one item failed (top-level code "2": partial)
CANCEL_BATCH = {"code": "2", "msg": "", "data": [
    {"clOrdId": "oktswap6", "ordId": "12345689", "sCode": "0", "sMsg": ""},
    {"clOrdId": "oktswap7", "ordId": "12344", "sCode": "51400",
     "sMsg": "Order cancellation failed as the order has been filled, canceled or does not "
             "exist."}]}


def _batch_response(payload: dict[str, Any], path: str) -> Response:
    signed = SignedRequest(method="POST", path=path)
    plain = response(payload)
    return Response(exchange="okx", status=200, headers={}, body=plain.body, request=signed)


def test_a_partial_batch_is_judged_per_item_not_raised(btc: Market) -> None:
    answer = _batch_response(CANCEL_BATCH, trading.BATCH_CANCEL_PATH)
    assert errors.parse_error(answer) is None  # the batch's parser decides per item
    refs = [OrderRef(btc.symbol, order_id="12345689"), OrderRef(btc.symbol, order_id="12344")]
    call = trading.cancel_orders(refs, btc)
    assert call.request.body == [{"instId": "BTC-USDT-SWAP", "ordId": "12345689"},
                                 {"instId": "BTC-USDT-SWAP", "ordId": "12344"}]
    done, failed = call.parse(answer)
    assert isinstance(done, OrderResult) and done.status is OrderStatus.CANCELED
    assert isinstance(failed, OrderNotFound) and failed.code == "51400"


def test_the_same_answer_on_a_single_cancel_is_still_an_error() -> None:
    answer = _batch_response(CANCEL_BATCH, "/api/v5/trade/cancel-order")
    assert isinstance(errors.parse_error(answer), OrderNotFound)


def test_a_batch_answer_with_a_missing_item_is_a_bad_response(btc: Market) -> None:
    refs = [OrderRef(btc.symbol, order_id="1"), OrderRef(btc.symbol, order_id="2")]
    one = {"code": "0", "msg": "", "data": [CANCEL_BATCH["data"][0]]}
    with pytest.raises(BadResponse):
        trading.cancel_orders(refs, btc).parse(response(one))


# amend-order (docs' answer), then the order read back
AMEND = {"code": "0", "msg": "", "data": [{"ordId": "12344", "clOrdId": "", "reqId": "b12344",
                                         "ts": "1695190491421", "sCode": "0", "sMsg": "",
                                         "subCode": ""}]}


def test_amend_sends_contracts_then_reads_the_order_back(btc: Market) -> None:
    sent: list[Call[Any]] = []

    def answer(call: Call[Any]) -> Any:
        sent.append(call)
        if call.request.path == trading.AMEND_PATH:
            return call.parse(response(AMEND))
        return call.parse(response(envelope([dict(PENDING, ordId="12344", sz="5",
                                                  px="13000")])))
    plan = trading.amend_order(OrderRef(btc.symbol, client_order_id="abc"), btc,
                               Decimal("0.05"), Decimal("13000"))
    amended = drive(plan, answer)
    assert sent[0].request.body == {"instId": "BTC-USDT-SWAP", "clOrdId": "abc",
                                    "newSz": "5", "newPx": "13000"}
    assert dict(sent[1].request.query)["ordId"] == "12344"
    assert amended.quantity == Decimal("0.05") and amended.price == Decimal("13000")


def test_amend_of_a_finished_order_is_order_not_found() -> None:
    failed = {"code": "1", "msg": "", "data": [
        {"ordId": "12344", "clOrdId": "", "sCode": "51503",
         "sMsg": "Your order has already been filled or canceled"}]}
    assert isinstance(errors.parse_error(response(failed)), OrderNotFound)


def test_set_leverage_reads_the_leverage_in_force(btc: Market) -> None:
    call = trading.set_leverage(btc, 30)
    assert call.request.body == {"instId": "BTC-USDT-SWAP", "lever": "30", "mgnMode": "cross"}
    docs = envelope([{"lever": "30", "mgnMode": "isolated", "instId": "BTC-USDT-SWAP",
                      "posSide": "long"}])
    assert call.parse(response(docs)) == 30
    with pytest.raises(BadResponse):
        call.parse(response(envelope([{"lever": "2.5", "mgnMode": "cross"}])))


def test_leverage_codes_map() -> None:
    above = errors.parse_error(response({"code": "59102", "msg": "Leverage exceeds the "
                                         "maximum", "data": []}))
    assert isinstance(above, InvalidArgument)
    busy = errors.parse_error(response({"code": "59101", "msg": "cancel isolated orders",
                                        "data": []}))
    assert isinstance(busy, ExchangeError) and busy.code == "59101"


def test_batch_place_builds_the_single_bodies_as_an_array(btc: Market) -> None:
    from venuekit import OrderParams
    orders = [OrderParams(symbol=btc.symbol, side="buy", type="limit", quantity="0.02",
                          price="40000", client_order_id=f"c{i}") for i in range(2)]
    call = trading.place_orders(orders, [btc, btc])
    assert call.request.idempotent is False
    assert [body["sz"] for body in call.request.body] == ["2", "2"]
    answer = _batch_response({"code": "2", "msg": "", "data": [
        {"clOrdId": "c0", "ordId": "1752588852617379841", "sCode": "0", "sMsg": "",
         "ts": "1695190491421"},
        {"clOrdId": "c1", "ordId": "", "sCode": "51008", "sMsg": "Insufficient margin"}]},
        trading.BATCH_ORDERS_PATH)
    placed, refused = call.parse(answer)
    assert isinstance(placed, OrderResult) and placed.quantity == Decimal("0.02")
    assert placed.order_id == "1752588852617379841"
    assert isinstance(refused, VenueError) and refused.code == "51008"


def test_batch_costs_count_orders_and_a_batch_of_one_spends_the_single_limit(
        btc: Market) -> None:
    # https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-multiple-orders:
    # "the rate limit of this endpoint is determined by the number of orders. If there is
    # only one order in the request, it will consume the rate limit of `Place order`."
    # #order-book-trading-trade-post-cancel-multiple-orders says the same of `Cancel order`.
    # The old code charged a batch of one to the batch rules (300 / 2 s), so a host mixing
    # such batches with single orders could pass OKX's 60 / 2 s per instrument.
    from venuekit import OrderParams
    from venuekit_okx import limits

    def order(i: int) -> OrderParams:
        return OrderParams(symbol=btc.symbol, side="buy", type="limit", quantity="0.01",
                           price="40000", client_order_id=f"c{i}")
    assert trading.place_orders([order(0)], [btc]).request.cost == {
        limits.PLACE: 1, limits.SUB_ACCOUNT_ORDERS: 1}
    assert trading.place_orders([order(0), order(1), order(2)], [btc] * 3).request.cost == {
        limits.BATCH_ORDERS: 3, limits.SUB_ACCOUNT_ORDERS: 3}
    one = [OrderRef(btc.symbol, order_id="1")]
    assert trading.cancel_orders(one, btc).request.cost == {limits.CANCEL: 1}
    two = [OrderRef(btc.symbol, order_id="1"), OrderRef(btc.symbol, order_id="2")]
    assert trading.cancel_orders(two, btc).request.cost == {limits.BATCH_CANCEL: 2}


# market data: REST ticker (same fields as the docs' tickers push) and books
TICKER = envelope([{"instType": "SWAP", "instId": "BTC-USDT-SWAP", "last": "9999.99",
                    "lastSz": "0.1", "askPx": "9999.99", "askSz": "11", "bidPx": "8888.88",
                    "bidSz": "5", "open24h": "9000", "high24h": "10000", "low24h": "8888.88",
                    "volCcy24h": "2222", "vol24h": "2222", "ts": "1597026383085"}])
BOOKS = envelope([{"asks": [["8476.98", "415", "0", "13"], ["8477", "7", "0", "2"]],
                   "bids": [["8476.97", "256", "0", "12"]], "ts": "1597026383085"}])


def test_ticker(btc: Market) -> None:
    ticker = account.fetch_ticker(btc).parse(response(TICKER))
    assert (ticker.bid, ticker.ask, ticker.last) == (
        Decimal("8888.88"), Decimal("9999.99"), Decimal("9999.99"))
    assert ticker.timestamp == datetime.fromtimestamp(1597026383.085, UTC)
    empty = envelope([{"instId": "BTC-USDT-SWAP", "last": "", "askPx": "", "bidPx": "",
                       "ts": "1597026383085"}])
    assert account.fetch_ticker(btc).parse(response(empty)).bid is None


def test_book_levels_in_base_and_depth_capped(btc: Market) -> None:
    call = account.fetch_order_book(btc, 5)
    assert dict(call.request.query) == {"instId": "BTC-USDT-SWAP", "sz": "5"}
    book = call.parse(response(BOOKS))
    assert book.asks[0] == (Decimal("8476.98"), Decimal("4.15"))  # 415 contracts
    assert book.bids[0] == (Decimal("8476.97"), Decimal("2.56"))
    assert book.sequence is None
    assert dict(account.fetch_order_book(btc, 1000).request.query)["sz"] == "400"
