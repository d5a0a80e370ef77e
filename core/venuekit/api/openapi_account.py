"""The OpenAPI part for account state: orders, positions, fills and venue errors.

Kept apart from :mod:`venuekit.api.openapi` (past 300 lines), which merges it in; the
schemas follow the models as :func:`venuekit.convert.to_jsonable` writes them, and a test
checks their properties against a converted model.
"""

from __future__ import annotations

from typing import Any

from .openapi_parts import ID_PARAM, STRING, Schema, error, nullable, obj, ok, op, ref
from .routes.account import DEFAULT_FILLS_LIMIT, MAX_FILLS_LIMIT, MAX_SYMBOL_LENGTH, MAX_SYMBOLS

__all__ = ["account_paths", "account_responses", "account_schemas", "venue_detail"]

_DECIMAL: Schema = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$",
                    "description": "a decimal number as a string (never a float)"}
_OPT_DECIMAL: Schema = {**_DECIMAL, "type": ["string", "null"]}
_TIME: Schema = {"type": "string", "format": "date-time"}
_OPT_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
_OPT_STRING: Schema = nullable(STRING)
_SIDE: Schema = {"type": "string", "enum": ["buy", "sell"]}


def venue_detail() -> Schema:
    """The ``venue`` member of an error body about a venue's failure."""
    return obj({"exchange": _OPT_STRING, "code": _OPT_STRING, "message": _OPT_STRING},
                description="What the venue said; null where it said nothing (a refusal "
                            "the core made before sending).")


def account_schemas() -> dict[str, Schema]:
    return {
        "Order": obj({
            "exchange": STRING, "symbol": STRING, "order_id": STRING,
            "client_order_id": _OPT_STRING,
            "side": {"type": ["string", "null"], "enum": ["buy", "sell", None]},
            "type": _OPT_STRING, "status": STRING, "quantity": _OPT_DECIMAL,
            "price": _OPT_DECIMAL, "filled_quantity": _DECIMAL, "average_price": _OPT_DECIMAL,
            "time_in_force": _OPT_STRING, "reduce_only": {"type": "boolean"},
            "created_at": _OPT_TIME, "updated_at": _OPT_TIME,
        }, description="An order as the venue reports it; quantities in base currency."),
        "Position": obj({
            "symbol": STRING, "side": {"type": "string", "enum": ["long", "short"]},
            "quantity": {**_DECIMAL, "description": "base currency, above zero"},
            "entry_price": _OPT_DECIMAL, "mark_price": _OPT_DECIMAL,
            "unrealized_pnl": _OPT_DECIMAL, "leverage": _OPT_DECIMAL,
            "liquidation_price": _OPT_DECIMAL,
            "margin_mode": {"type": ["string", "null"], "enum": ["cross", "isolated", None]},
        }, description="An open derivatives position (flat ones are left out)."),
        "Fill": obj({
            "symbol": STRING, "order_id": STRING, "client_order_id": _OPT_STRING,
            "trade_id": STRING, "side": _SIDE, "price": _DECIMAL, "quantity": _DECIMAL,
            "fee": {**_DECIMAL, "description": "paid, positive; a rebate is negative"},
            "fee_currency": _OPT_STRING, "is_maker": {"type": ["boolean", "null"]},
            "timestamp": _TIME,
        }, description="One execution of one of the account's orders."),
        "OpenOrderList": obj({
            "connection_id": STRING, "exchange": STRING, "symbol": _OPT_STRING,
            "orders": {"type": "array", "items": ref("Order")}}),
        "PositionList": obj({
            "connection_id": STRING, "exchange": STRING,
            "symbols": {"type": ["array", "null"], "items": STRING},
            "positions": {"type": "array", "items": ref("Position")}}),
        "FillList": obj({
            "connection_id": STRING, "exchange": STRING, "symbol": STRING,
            "since": _OPT_TIME, "limit": {"type": "integer", "minimum": 1},
            "fills": {"type": "array", "items": ref("Fill"),
                      "description": "oldest first, ties by trade id"}}),
        "VenueDetail": venue_detail(),
    }


def account_responses() -> dict[str, Any]:
    return {
        "VenueRefused": error(
            "Nothing was sent: the venue lacks the operation (`not_supported`) or does not "
            "list the symbol (`unknown_symbol`); or `symbol` is missing "
            "(`missing_parameter`). The error's `venue` member says which venue."),
        "VenueFailed": error(
            "The venue failed the request: `venue_auth_failed` (502, the stored key was "
            "refused), `venue_unreachable` or `venue_error` (502), `venue_rate_limited` "
            "(503, with `Retry-After` when known), `venue_timeout` (504)."),
    }


def _symbol_param(*, required: bool, description: str, repeated: bool = False) -> Schema:
    schema: Schema = {"type": "string", "minLength": 1, "maxLength": MAX_SYMBOL_LENGTH}
    if repeated:
        schema = {"type": "array", "items": schema, "maxItems": MAX_SYMBOLS}
    param: Schema = {"name": "symbol", "in": "query", "required": required,
                     "description": description, "schema": schema}
    if repeated:
        param.update(style="form", explode=True)
    return param


def _read(operation_id: str, summary: str, schema: str, description: str,
          parameters: list[Schema]) -> dict[str, Any]:
    responses = {"200": ok("What the venue reported.", schema),
                 "400": {"$ref": "#/components/responses/BadJson"},
                 "404": {"$ref": "#/components/responses/NotFound"},
                 "409": error("The connection cannot be used here: its exchange's plugin "
                               "is not installed, or it asks for a test environment the "
                               "venue lacks (`connection_unusable`)."),
                 "422": {"$ref": "#/components/responses/VenueRefused"},
                 "502": {"$ref": "#/components/responses/VenueFailed"},
                 "503": {"$ref": "#/components/responses/VenueFailed"},
                 "504": {"$ref": "#/components/responses/VenueFailed"}}
    return op(operation_id, summary, responses, parameters=[ID_PARAM, *parameters],
               description=description + " Runs against the connection's stored host; "
               "allowed on a disabled connection.", tag="account")


def account_paths() -> dict[str, Any]:
    item = "/api/connections/{id}"
    unified = "Unified (BTC/USDT:USDT) or native (BTCUSDT) symbol."
    return {
        item + "/orders": {"get": _read(
            "listOpenOrders", "Open orders of a connection", "OpenOrderList",
            "Open orders on `symbol`, or without it on every symbol where the venue lists "
            "them at once (elsewhere `not_supported`: give a symbol).",
            [_symbol_param(required=False, description=unified)])},
        item + "/positions": {"get": _read(
            "listPositions", "Open positions of a connection", "PositionList",
            "Open derivatives positions, quantities in base currency; on the `symbol` "
            "values given (repeat the parameter) or on every market. A spot venue answers "
            "`not_supported`.",
            [_symbol_param(required=False, description=unified, repeated=True)])},
        item + "/fills": {"get": _read(
            "listFills", "Fills of a connection on one symbol", "FillList",
            "The account's fills on `symbol`, oldest first, paged through the venue's "
            "history by the server and deduplicated. With `since`: the oldest `limit` at "
            "or after it; without: the newest `limit`.",
            [_symbol_param(required=True, description=unified),
             {"name": "since", "in": "query", "required": False,
              "description": "epoch milliseconds, or ISO-8601 with a zone",
              "schema": {"type": "string"}},
             {"name": "limit", "in": "query", "required": False,
              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_FILLS_LIMIT,
                         "default": DEFAULT_FILLS_LIMIT}}])},
    }

