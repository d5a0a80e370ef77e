"""Account and market-data calls and parsers on OrangeX's documented and live payloads.

Samples: OX-DOC examples and the live observations quoted in
/work/shared/exchanges/orangex-account-streams.md (OX-DY, OX-AO), written inline. Flows
and pages run with ``venuekit.flows.drive`` or by hand against canned replies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from venuekit.account_models import MarginMode, PositionSide
from venuekit.errors import BadResponse, NotSupported
from venuekit.flows import Page, Walk, drive
from venuekit.models import Market, MarketKind, OrderStatus
from venuekit.wire import Call, Response
from venuekit_orangex import account

#: the ``reply`` fixture of conftest.py: the venue's answer to a call
Reply = Callable[..., Response]

BTC = Market(symbol="BTC/USDT:USDT", native="BTC-USDT-PERPETUAL", base="BTC", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.1"),
             step_size=Decimal("0.001"), min_quantity=Decimal("0.001"))
ETH = Market(symbol="ETH/USDT:USDT", native="ETH-USDT-PERPETUAL", base="ETH", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.01"),
             step_size=Decimal("0.01"), min_quantity=Decimal("0.01"))

#: OX-DOC open-orders example row (abridged in the research file)
OPEN_ORDER = {"kind": "perpetual", "direction": "buy", "amount": "0.1", "price": "3020",
              "source": "api", "version": 1, "order_id": "262959243277852672",
              "order_state": "open", "instrument_name": "ETH-USDT-PERPETUAL",
              "filled_amount": "0", "average_price": "0", "order_type": "limit",
              "time_in_force": "GTC", "post_only": False, "reduce_only": False,
              "condition_type": "NORMAL", "trigger_touch": False, "stop_loss_price": "0",
              "stop_loss_type": 1, "take_profit_price": "0", "take_profit_type": 1,
              "creation_timestamp": 1650524769151, "last_update_timestamp": 1650524769158}
#: OX-DOC user-trades example trade
TRADE = {"direction": "buy", "amount": "0.01", "price": "44000", "fee": "0.22",
         "timestamp": 1649909632028, "role": "taker", "trade_id": "19014109",
         "order_id": "260379171103793152", "instrument_name": "BTC-USDT-PERPETUAL",
         "order_type": "limit", "fee_use_coupon": False, "fee_coin_type": "USDT",
         "index_price": "0", "mark_price": "43999.95", "self_trade": False}
#: get_user_position fields OX-DY confirmed live, values from OX-DOC's position example
LIVE_POSITION = {"instrument_name": "BTC-USDT-PERPETUAL", "position_side": "SHORT",
                 "size": "-0.01", "average_price": "1293.29", "margin_type": "isolated",
                 "leverage": "20", "floating_profit_loss": "-0.0063", "liquid_price": "0",
                 "stop_loss_price": "0", "take_profit_price": "0", "risk_level": "0.002306"}


# ---------------------------------------------------------------- open orders


def test_open_orders_of_one_instrument(reply: Reply) -> None:
    call = account.fetch_open_orders(ETH, [BTC, ETH])
    assert call.request.path == "/private/get_open_orders_by_instrument"
    assert call.request.body["params"] == {"instrument_name": "ETH-USDT-PERPETUAL"}
    assert call.request.signed
    (order,) = call.parse(reply(call, result=[OPEN_ORDER]))
    assert (order.order_id, order.symbol, order.status) == (
        "262959243277852672", "ETH/USDT:USDT", OrderStatus.OPEN)
    assert order.quantity == Decimal("0.1") and order.price == Decimal("3020")


def test_open_orders_of_every_instrument_map_back_by_name(reply: Reply) -> None:
    call = account.fetch_open_orders(None, [BTC, ETH])
    assert call.request.path == "/private/get_open_orders_by_currency"
    assert call.request.body["params"] == {"currency": "PERPETUAL"}
    btc_row = {**OPEN_ORDER, "instrument_name": "BTC-USDT-PERPETUAL", "order_id": "7",
               "filled_amount": "0.04"}
    orders = call.parse(reply(call, result=[OPEN_ORDER, btc_row]))
    assert [(o.symbol, o.status) for o in orders] == [
        ("ETH/USDT:USDT", OrderStatus.OPEN), ("BTC/USDT:USDT", OrderStatus.PARTIALLY_FILLED)]
    unknown = {**OPEN_ORDER, "instrument_name": "NOPE-USDT-PERPETUAL"}
    with pytest.raises(BadResponse, match="NOPE"):
        call.parse(reply(call, result=[unknown]))


# ---------------------------------------------------------------- fills


def test_fill_from_the_documented_trade(reply: Reply) -> None:
    pages = account.fetch_my_trades(BTC, None, None)
    page = pages.first.parse(reply(pages.first, result={"count": 1, "trades": [TRADE],
                                                         "has_more": False}))
    (fill,) = page.items
    assert page.next is None
    assert (fill.trade_id, fill.order_id) == ("19014109", "260379171103793152")
    assert fill.side.value == "buy" and fill.is_maker is False
    assert (fill.price, fill.quantity, fill.fee, fill.fee_currency) == (
        Decimal("44000"), Decimal("0.01"), Decimal("0.22"), "USDT")
    assert fill.timestamp == datetime.fromtimestamp(1649909632.028, UTC)


def _trade(trade_id: int) -> dict[str, Any]:
    return {**TRADE, "trade_id": str(trade_id), "timestamp": 1649909632000 + trade_id}


def _walk(first: Call[Page[Any]], pages: list[tuple[list[int], bool]],
          reply: Reply) -> list[dict[str, Any]]:
    """Answer each page call with the next canned page; the params of every call."""
    sent = []
    call: Call[Page[Any]] | None = first
    for ids, more in pages:
        assert call is not None
        sent.append(call.request.body["params"])
        page = call.parse(reply(call, result={"count": len(ids), "has_more": more,
                                              "trades": [_trade(i) for i in ids]}))
        call = page.next
    assert call is None, "the walk should have ended"
    return sent


def test_fills_walk_back_by_end_id_while_has_more(reply: Reply) -> None:
    pages = account.fetch_my_trades(BTC, None, None)
    assert pages.walk is Walk.BACKWARD
    sent = _walk(pages.first, [([9, 8, 7], True), ([7, 6, 5], True), ([5, 4], False)],
                 reply)
    assert sent[0] == {"instrument_name": "BTC-USDT-PERPETUAL", "count": 100,
                       "sorting": "desc"}
    # OX-DOC "Get user trades by Instrument": end_id is a Number (the old code sent "7")
    assert [p.get("end_id") for p in sent] == [None, 7, 5]  # inclusive: deduplicated


def test_fills_walk_forward_from_since_by_start_id(reply: Reply) -> None:
    since = datetime.fromtimestamp(1649909632, UTC)
    pages = account.fetch_my_trades(BTC, since, 2)
    assert pages.walk is Walk.FORWARD
    sent = _walk(pages.first, [([1, 2], True), ([2, 3], True), ([3], False)], reply)
    assert sent[0] == {"instrument_name": "BTC-USDT-PERPETUAL", "count": 2,
                       "sorting": "asc", "start_timestamp": 1649909632000}
    # OX-DOC "Get user trades by Instrument": start_id is a Number (the old code sent "2")
    assert [p.get("start_id") for p in sent] == [None, 2, 3]
    assert all("start_timestamp" not in p for p in sent[1:])


def test_a_page_with_nothing_new_ends_the_walk_even_with_has_more(reply: Reply) -> None:
    pages = account.fetch_my_trades(BTC, None, None)
    sent = _walk(pages.first, [([9, 8], True), ([8], True)], reply)
    assert len(sent) == 2


# ---------------------------------------------------------------- positions


def test_positions_read_the_live_method_per_instrument(reply: Reply) -> None:
    """The documented get_positions answered [] live while a position was open (OX-DY):
    the plugin reads get_user_position, one call per instrument, and merges."""
    calls: list[Call[Any]] = []

    def answer(call: Call[Any]) -> Any:
        calls.append(call)
        if call.request.body["params"]["instrument_name"] == "BTC-USDT-PERPETUAL":
            return call.parse(reply(call, result=[LIVE_POSITION]))
        return call.parse(reply(call, result=[]))  # flat: []
    positions = drive(account.fetch_positions([BTC, ETH]), answer)
    assert [c.request.path for c in calls] == ["/private/get_user_position"] * 2
    assert all(c.request.path != "/private/get_positions" for c in calls)
    (short,) = positions
    assert short.symbol == "BTC/USDT:USDT" and short.side is PositionSide.SHORT
    assert short.quantity == Decimal("0.01") and short.entry_price == Decimal("1293.29")
    assert short.leverage == Decimal("20") and short.margin_mode is MarginMode.ISOLATED
    assert short.liquidation_price is None  # "0": none
    assert short.unrealized_pnl == Decimal("-0.0063")


@pytest.mark.parametrize(("row", "side"), [
    ({"size": "0.5", "position_side": "BOTH"}, PositionSide.LONG),   # one-way: the sign
    ({"size": "-0.5", "position_side": "BOTH"}, PositionSide.SHORT),
    ({"size": "0.5", "position_side": "LONG"}, PositionSide.LONG),   # hedge legs
    ({"size": "-0.5"}, PositionSide.SHORT),
])
def test_position_side_from_sign_or_hedge_leg(reply: Reply, row: dict[str, str],
                                              side: PositionSide) -> None:
    call = account._position_call(BTC)
    (position,) = call.parse(reply(call, result=[{**LIVE_POSITION, **row}]))
    assert position.side is side and position.quantity == Decimal("0.5")


def test_hedge_mode_gives_two_rows_of_one_instrument(reply: Reply) -> None:
    call = account._position_call(BTC)
    long_leg = {**LIVE_POSITION, "position_side": "LONG", "size": "0.02",
                "margin_type": "cross"}
    positions = call.parse(reply(call, result=[long_leg, LIVE_POSITION]))
    assert [(p.side, p.quantity, p.margin_mode) for p in positions] == [
        (PositionSide.LONG, Decimal("0.02"), MarginMode.CROSS),
        (PositionSide.SHORT, Decimal("0.01"), MarginMode.ISOLATED)]


def test_positions_of_every_instrument_are_not_supported() -> None:
    with pytest.raises(NotSupported, match="pass the symbols"):
        account.fetch_positions(None)


# ---------------------------------------------------------------- cancel-all, leverage


def test_cancel_all_lists_then_cancels_and_reports_the_listed(reply: Reply) -> None:
    calls: list[Call[Any]] = []

    def answer(call: Call[Any]) -> Any:
        calls.append(call)
        if call.request.path == "/private/get_open_orders_by_instrument":
            return call.parse(reply(call, result=[OPEN_ORDER]))
        return call.parse(reply(call, result=1))  # OX-DOC: the number being cancelled
    cancelled = drive(account.cancel_all_orders(ETH), answer)
    assert [c.request.path for c in calls] == ["/private/get_open_orders_by_instrument",
                                               "/private/cancel_all_by_instrument"]
    assert calls[1].request.body["params"] == {"instrument_name": "ETH-USDT-PERPETUAL"}
    assert [(o.order_id, o.status) for o in cancelled] == [("262959243277852672",
                                                           OrderStatus.CANCELED)]


def test_cancel_all_count_must_be_a_number(reply: Reply) -> None:
    def answer(call: Call[Any]) -> Any:
        if call.request.path == "/private/get_open_orders_by_instrument":
            return call.parse(reply(call, result=[OPEN_ORDER]))
        return call.parse(reply(call, result={"odd": 1}))
    with pytest.raises(BadResponse, match="count"):
        drive(account.cancel_all_orders(ETH), answer)


def test_set_leverage_sends_the_number_and_reads_ok(reply: Reply) -> None:
    call = account.set_leverage(BTC, 20)
    assert call.request.path == "/private/adjust_perpetual_leverage"
    assert call.request.body["params"] == {"instrument_name": "BTC-USDT-PERPETUAL",
                                           "leverage": 20}
    assert call.parse(reply(call, result="ok")) == 20
    with pytest.raises(BadResponse, match="ok"):
        call.parse(reply(call, result="nope"))


# ---------------------------------------------------------------- market data


def test_ticker_with_numbers_and_string_timestamp(reply: Reply) -> None:
    call = account.fetch_ticker(BTC)
    assert call.request.path == "/public/tickers" and not call.request.signed
    # OX-AO's live row: best bid/ask JSON numbers, the rest strings
    row = {"timestamp": "1790134513734", "state": "open", "last_price": "86667.6",
           "instrument_name": "BTC-USDT-PERPETUAL", "best_bid_price": 86667.6,
           "best_bid_amount": 1.193, "best_ask_price": 86667.7, "best_ask_amount": 1.51,
           "mark_price": "86667.6", "underlying_price": "86702.2"}
    for result in ([row], row):  # a list (bulk form) or one object
        ticker = call.parse(reply(call, result=result))
        assert (ticker.bid, ticker.ask, ticker.last) == (
            Decimal("86667.6"), Decimal("86667.7"), Decimal("86667.6"))
        assert ticker.timestamp == datetime.fromtimestamp(1790134513.734, UTC)


def test_order_book_keeps_the_version_as_sequence(reply: Reply) -> None:
    call = account.fetch_order_book(BTC, 20)
    assert call.request.body["params"] == {"instrument_name": "BTC-USDT-PERPETUAL",
                                           "depth": 20}
    book = call.parse(reply(call, result={
        "timestamp": 1790134260671, "version": 265433541,
        "instrument_name": "BTC-USDT-PERPETUAL",
        "bids": [["86666.5", "4.629"], ["86666.4", "1"]],
        "asks": [["new", "86666.6", "1.930"]]}))  # the stream's 3-item level is read too
    assert book.sequence == 265433541
    assert book.best_bid == (Decimal("86666.5"), Decimal("4.629"))
    assert book.best_ask == (Decimal("86666.6"), Decimal("1.930"))
