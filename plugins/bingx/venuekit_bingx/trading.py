"""BingX swap cancel-all, batches, amend and leverage: request builders and parsers. No I/O.

Order ids are int64 above 2**53: a list of them is written as JSON text by hand (bare
digits), never through a float; client ids are lower-cased as the server stores them.
"""

from __future__ import annotations

import json
from decimal import Decimal

from venuekit.decimals import format_decimal
from venuekit.errors import ExchangeUnavailable, InvalidArgument, OrderNotFound, VenueError
from venuekit.flows import Flow, Steps, step
from venuekit.models import Market, OrderParams, OrderRef, OrderResult
from venuekit.payload import Reader
from venuekit.wire import Call, Response

from . import endpoints, errors, parsing
from .account import private_request

CANCEL_ALL_PATH = "/openApi/swap/v2/trade/allOpenOrders"
BATCH_PATH = "/openApi/swap/v2/trade/batchOrders"
AMEND_PATH = "/openApi/swap/v1/trade/amend"
LEVERAGE_PATH = "/openApi/swap/v2/trade/leverage"

#: Most orders in one batch place (``batchOrders``: "up to 5").
MAX_BATCH_ORDERS = 5
#: Most ids in one batch cancel (``orderIdList`` / ``clientOrderIdList``: "up to 10").
MAX_BATCH_CANCELS = 10

# ---------------------------------------------------------------- cancel-all, batch cancel


def _item_error(row: Reader, code_key: str, message_key: str) -> VenueError:
    """A per-item failure (``errorCode``/``errorMessage`` on cancels, ``code``/``msg`` on
    a batch place row) as the core error its code maps to."""
    return errors.error_for(row.integer(code_key), row.optional_text(message_key) or "")


def _json_text(text: str) -> str:
    return json.dumps(text)


def cancel_all_orders(market: Market) -> Call[list[OrderResult]]:
    """``DELETE allOpenOrders?symbol=``: answers ``success`` (the orders, cancelled) and
    ``failed``; an order that failed for any reason but being gone is raised."""
    def parse(response: Response) -> list[OrderResult]:
        data = parsing.data_of(response)
        for row in data.rows("failed") if data.get("failed") else []:
            error = _item_error(row, "errorCode", "errorMessage")
            if not isinstance(error, OrderNotFound):
                raise error
        success = data.rows("success") if data.get("success") else []
        return [parsing.parse_order(row, market.symbol) for row in success]
    return Call(private_request("DELETE", CANCEL_ALL_PATH, [("symbol", market.native)],
                         "cancel_all"), parse)


def _id_list(ids: list[str], *, quoted: bool) -> str:
    """A JSON list written by hand: ids as bare digits (never a float), or strings."""
    return "[" + ",".join(f'"{i}"' if quoted else i for i in ids) + "]"


def cancel_orders(refs: list[OrderRef],
                  market: Market) -> Call[list[OrderResult | VenueError]]:
    """``DELETE batchOrders``: up to 10 ``orderIdList`` (or lower-cased
    ``clientOrderIdList``); the answer's ``success`` / ``failed`` are matched back."""
    by_id = all(ref.order_id for ref in refs)
    if by_id:
        ids = [str(ref.order_id) for ref in refs]
        if not all(i.isdigit() for i in ids):
            raise InvalidArgument("BingX order ids are numbers", exchange=parsing.NAME)
        query = [("symbol", market.native), ("orderIdList", _id_list(ids, quoted=False))]
    else:
        ids = [(ref.client_order_id or "").lower() for ref in refs]
        query = [("symbol", market.native),
                 ("clientOrderIdList", _id_list(ids, quoted=True))]

    def parse(response: Response) -> list[OrderResult | VenueError]:
        data = parsing.data_of(response)
        done: dict[str, OrderResult] = {}
        for row in data.rows("success") if data.get("success") else []:
            order = parsing.parse_order(row, market.symbol)
            done[order.order_id if by_id else (order.client_order_id or "").lower()] = order
        failed: dict[str, VenueError] = {}
        for row in data.rows("failed") if data.get("failed") else []:
            key = row.optional_text("orderId") if by_id else (
                (parsing.client_id_of(row) or "").lower())
            if key:
                failed[key] = _item_error(row, "errorCode", "errorMessage")
        out: list[OrderResult | VenueError] = []
        for key in ids:
            out.append(done.get(key) or failed.get(key) or OrderNotFound(
                f"BingX reported nothing for order {key}", exchange=parsing.NAME))
        return out
    return Call(private_request("DELETE", BATCH_PATH, query, "batch_cancel"), parse)


# ---------------------------------------------------------------- batch place


def _order_json(order: OrderParams, market: Market) -> str:
    """One order of ``batchOrders`` as JSON text: the single place's parameters, numbers
    written bare from their Decimal text (the docs' example: ``"quantity":0.001``)."""
    numbers = {"quantity", "price"}
    fields = []
    for key, value in endpoints.order_query(order, market):
        if key == "recvWindow":
            continue
        fields.append(f'"{key}":{value}' if key in numbers else f'"{key}":{_json_text(value)}')
    return "{" + ",".join(fields) + "}"


def place_orders(orders: list[OrderParams],
                 markets: list[Market]) -> Call[list[OrderResult | VenueError]]:
    """``POST batchOrders`` (at most 5); each answer row is matched to its order by the
    lower-cased client id. An order missing from the answer is ambiguous (the core looks
    it up before anything is resent); a row with a non-zero ``code`` is that order's error."""
    body = "[" + ",".join(_order_json(order, market)
                          for order, market in zip(orders, markets, strict=True)) + "]"
    request = private_request("POST", BATCH_PATH, [("batchOrders", body)], "batch_place",
                       idempotent=False)

    def parse(response: Response) -> list[OrderResult | VenueError]:
        data = parsing.data_of(response)
        rows = data.rows("orders") if data.get("orders") else []
        by_client = {(parsing.client_id_of(row) or "").lower(): row for row in rows}
        out: list[OrderResult | VenueError] = []
        for order, market in zip(orders, markets, strict=True):
            row = by_client.get((order.client_order_id or "").lower())
            if row is None:
                out.append(ExchangeUnavailable(
                    f"BingX's batch answer does not mention {order.client_order_id}",
                    exchange=parsing.NAME))
                continue
            if row.get("code") not in (None, 0, "0", ""):
                out.append(_item_error(row, "code", "msg"))
                continue
            out.append(parsing.placed(row, order, market.symbol))
        return out
    return Call(request, parse)


# ---------------------------------------------------------------- amend, leverage


def amend_order(ref: OrderRef, market: Market, quantity: Decimal | None,
                price: Decimal | None) -> Flow[OrderResult] | None:
    """``POST /openApi/swap/v1/trade/amend`` changes the **quantity only**; then the order
    is read back. A new price is not amendable on BingX (``cancelReplace`` makes a new
    order): None, and the core raises NotSupported, never a silent cancel-and-replace."""
    if price is not None or quantity is None:
        return None
    query = [*endpoints.ref_query(ref, market)[:-1], ("quantity", format_decimal(quantity))]

    def steps() -> Steps[OrderResult]:
        yield from step(Call(private_request("POST", AMEND_PATH, query, "amend"), _accepted))
        return (yield from step(endpoints.fetch_order(ref, market)))
    return Flow(steps)


def _accepted(response: Response) -> None:
    """The amend answer's shape is not documented; its envelope (``code`` 0, checked by
    ``parse_error``) is all that is read, and the order is fetched for its state."""
    Reader.of(response)


def set_leverage(market: Market, leverage: int) -> Flow[int]:
    """Read the symbol's leverage and maximum first (``maxLongLeverage``: contracts do not
    list it), refuse above it locally, skip the change when already in force, else
    ``POST leverage`` with ``side=BOTH`` (one-way mode, as every order is placed)."""
    def read(response: Response) -> tuple[int, int]:
        data = parsing.data_of(response)
        return data.integer("longLeverage"), data.integer("maxLongLeverage")

    def steps() -> Steps[int]:
        current, maximum = yield from step(Call(
            private_request("GET", LEVERAGE_PATH, [("symbol", market.native)], "leverage_get"),
            read))
        if leverage > maximum:
            raise InvalidArgument(f"leverage {leverage} is above BingX's maximum {maximum} "
                                  f"for {market.symbol}", exchange=parsing.NAME)
        if current == leverage:
            return leverage
        query = [("symbol", market.native), ("side", endpoints.POSITION_SIDE),
                 ("leverage", str(leverage))]
        return (yield from step(Call(
            private_request("POST", LEVERAGE_PATH, query, "leverage"),
            lambda response: parsing.data_of(response).integer("leverage"))))
    return Flow(steps)
