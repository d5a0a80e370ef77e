"""Facts re-checked against BingX's official docs, each test citing its source.

BX-V3 = the official docs site bundle (https://bingx-api.github.io/docs-v3/, repo
BingX-API/docs-v3 @ d84f954); BX-LOG = BingX's API change log
(https://bingx-api.github.io/docs/#/en-us/swapV2/changelog).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from bingx_helpers import ORDER, answer
from venuekit import errors as e
from venuekit.errors import InvalidOrder
from venuekit.models import Market, MarketKind, OrderResult, OrderStatus
from venuekit.retry import generate_client_order_id
from venuekit_bingx import parsing, plugin, trading
from venuekit_bingx.errors import parse_error

BTC = Market(symbol="BTC/USDT:USDT", native="BTC-USDT", base="BTC", quote="USDT",
             settle="USDT", kind=MarketKind.SWAP, tick_size=Decimal("0.1"),
             step_size=Decimal("0.0001"), min_quantity=Decimal("0.0001"))


def error_of(code: int, msg: str = "") -> e.VenueError:
    error = parse_error(answer(f'{{"code":{code},"msg":"{msg}","data":{{}}}}'))
    assert error is not None
    return error


# ---------------------------------------------------------------- error codes


@pytest.mark.parametrize(("code", "cls"), [
    # BX-LOG 2025-10-09 (effective 2025-10-16): "Old error code 80020 / 40029 has been
    # updated to new error code 109403, meaning: risk forbidden" (80020 is PermissionDenied)
    (109403, e.PermissionDenied),
    # BX-LOG 2025-10-09: "Old error code 80018 has been updated to new error code 109422,
    # meaning: APIAccountErrorOrderStatusIllegal" (80018 "Order already filled")
    (109422, e.OrderNotFound),
    # BX-V3 "Common Business Error Codes": 101414 maximum leverage, 101415 "suspended from
    # opening new positions", 101514 "Temporarily suspended from opening positions"
    (101414, e.InvalidOrder),
    (101415, e.InvalidOrder),
    (101514, e.InvalidOrder),
    # BX-LOG 2025-10-09: 80001 and 109414 "updated to new error code 109400, meaning:
    # parameter invalid" -- a refusal, not an unknown execution state
    (80001, e.InvalidOrder),
    (109414, e.InvalidOrder),
], ids=str)
def test_documented_codes_map_to_their_meaning(code: int, cls: type[e.VenueError]) -> None:
    error = error_of(code, "text")
    assert type(error) is cls
    assert not error.ambiguous and not error.retryable


@pytest.mark.parametrize("code", [80019, 109423])
def test_order_being_processed_is_an_unknown_state(code: int) -> None:
    # BX-V3 "Common Business Error Codes": "80019 - The order is being processed"; BX-LOG
    # 2025-10-09: 80019 -> 109423 "The order is being processed. Please use the allOrders
    # interface to retrieve the order details later": look the order up before any resend.
    error = error_of(code, "The order is being processed")
    assert type(error) is e.ExchangeUnavailable
    assert error.ambiguous and error.retryable


@pytest.mark.parametrize(("code", "msg"), [
    (109400, "margin is not enough"),   # BX-V3 "Modify leverage" error example
    (80001, "Insufficient margin"),     # BX-V3 "Bulk order" error example
    (80001, "margin not enough"),       # BX-V3 "Set position mode" error example
])
def test_generic_codes_with_margin_text_are_insufficient_funds(code: int, msg: str) -> None:
    assert type(error_of(code, msg)) is e.InsufficientFunds


def test_a_plain_invalid_parameter_stays_invalid_order() -> None:
    # BX-V3 "Set leverage" error: 109400 "In the One-way mode, the 'Side' field can only be
    # set to BOTH."
    error = error_of(109400, "In the One-way mode, the 'Side' field can only be set to BOTH.")
    assert type(error) is e.InvalidOrder


# ---------------------------------------------------------------- place answer


def test_place_answer_with_status_reports_the_fill() -> None:
    # BX-V3 "Place order" response table: ... "status" (Order status), "avgPrice" (Average
    # filled price, present when type=MARKET), "executedQty" (Transaction quantity, coins).
    # The old code ignored them and reported a filled market order as OPEN with nothing done.
    result = parsing.parse_placed(answer(
        '{"code":0,"msg":"","data":{"order":{"symbol":"BTC-USDT",'
        '"orderId":1735950529123455488,"side":"BUY","positionSide":"BOTH","type":"MARKET",'
        '"clientOrderId":"vk42","workingType":"MARK_PRICE","status":"FILLED",'
        '"avgPrice":"43210.5","executedQty":"0.001"}}}'), ORDER, BTC.symbol)
    assert result.status is OrderStatus.FILLED
    assert result.filled_quantity == Decimal("0.001")
    assert result.average_price == Decimal("43210.5")
    assert result.quantity == Decimal("0.001")
    assert result.order_id == "1735950529123455488"


def test_place_answer_with_an_unknown_status_is_a_bad_response() -> None:
    with pytest.raises(e.BadResponse):
        parsing.parse_placed(answer(
            '{"code":0,"msg":"","data":{"order":{"symbol":"BTC-USDT","orderId":7,'
            '"side":"BUY","type":"MARKET","status":"WHATEVER"}}}'), ORDER, BTC.symbol)


def test_batch_place_row_with_status_is_read_like_a_single_place() -> None:
    # BX-V3 "Bulk order": "Specific order conditions and rules are consistent with ordinary
    # orders"; a row that carries the single place's status fields is read the same way.
    body = ('{"code":0,"msg":"","data":{"orders":[{"symbol":"BTC-USDT",'
            '"orderId":1736010300483712300,"side":"BUY","positionSide":"BOTH",'
            '"type":"MARKET","clientOrderId":"vk42","status":"FILLED",'
            '"avgPrice":"43000","executedQty":"0.001"}]}}')
    (placed,) = trading.place_orders([ORDER], [BTC]).parse(answer(body))
    assert isinstance(placed, OrderResult)
    assert placed.status is OrderStatus.FILLED and placed.filled_quantity == Decimal("0.001")


# ---------------------------------------------------------------- client order ids


def test_client_order_id_allows_underscore_and_up_to_40_characters() -> None:
    # BX-V3 "Place order": clientOrderId "with a limit of characters from 1 to 40. The system
    # will convert this field to lowercase"; BingX's other client-id fields: "Only letters,
    # numbers and _". The old rule refused "_".
    rule = plugin.exchange_info().client_order_id
    rule.check("grid_0001_" + "a" * 30)
    with pytest.raises(InvalidOrder):
        rule.check("a" * 41)
    with pytest.raises(InvalidOrder):
        rule.check("grid-0001")  # "-" is named nowhere: refused locally


def test_generated_client_order_ids_keep_to_letters_and_digits() -> None:
    # a caller's "_" is accepted (above), but the swap page does not promise it: the core
    # never puts one in an id it makes up
    rule = plugin.exchange_info().client_order_id
    ids = {generate_client_order_id(rule) for _ in range(300)}
    assert len(ids) == 300
    for cid in ids:
        assert cid.isalnum() and cid.isascii() and len(cid) <= 40
        rule.check(cid)
