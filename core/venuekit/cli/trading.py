"""`venuekit balance` and `venuekit order`: trade through a stored connection.

The credentials are decrypted from the store for the one command and never printed. Each
command connects the way the connection says (live or testnet); ``--base-url`` points it
somewhere else, e.g. at ``venuekit sandbox``.

Exit codes: an order that cannot be an order as given (a limit order without a price, a
negative quantity) is a usage error, 2; one the venue (or the core's check against the
venue's market rules) refuses is a failure, 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from ..connector import Connector, connect
from ..errors import ConfigurationError, InvalidOrder, OrderStatusUnknown
from ..models import OrderParams, OrderResult, OrderType, Side, TimeInForce
from . import common
from .common import EXIT_FAILURE, EXIT_OK, UsageError, usage_errors
from .output import emit_json, table

__all__ = ["add_parser"]

T = TypeVar("T")


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _connection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ref", metavar="CONN", help="connection id or name")
    parser.add_argument("--base-url", metavar="URL",
                        help="send requests here instead of the venue (e.g. a simulator)")


def _order_ref_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--symbol", required=True,
                        help="unified (BTC/USDT:USDT) or native (BTCUSDT) symbol")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--order-id", metavar="ID", help="the venue's order id")
    which.add_argument("--client-order-id", metavar="ID", help="your client order id")


def add_parser(sub: Any) -> None:
    parent = common.common_options()
    balance = sub.add_parser("balance", parents=[parent],
                             help="account balance of a stored connection")
    _connection_args(balance)
    balance.add_argument("--all-assets", action="store_true",
                         help="also list assets with a zero balance")
    balance.set_defaults(handler=run_balance)

    order = sub.add_parser("order", help="place, cancel or look up an order")
    actions = order.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    place = actions.add_parser(
        "place", parents=[parent], help="place an order",
        description="Place one order. It is checked against the venue's market rules "
                    "before anything is sent, and never sent twice.")
    _connection_args(place)
    place.add_argument("--symbol", required=True,
                       help="unified (BTC/USDT:USDT) or native (BTCUSDT) symbol")
    place.add_argument("--side", required=True, choices=[s.value for s in Side])
    place.add_argument("--type", required=True, choices=[t.value for t in OrderType])
    place.add_argument("--quantity", type=_decimal, metavar="Q", help="in base currency")
    place.add_argument("--price", type=_decimal, metavar="P", help="limit price")
    place.add_argument("--tif", choices=[t.value for t in TimeInForce],
                       help="time in force (limit orders default to gtc)")
    place.add_argument("--client-order-id", metavar="ID",
                       help="your id for the order (generated when left out)")
    place.add_argument("--reduce-only", action="store_true", help="only reduce a position")
    place.add_argument("--quote-quantity", type=_decimal, metavar="Q",
                       help="size a market buy in quote currency (venues that do so)")
    place.set_defaults(handler=run_place)

    for name, handler, text in (("cancel", run_cancel, "cancel an order"),
                                ("status", run_status, "look an order up")):
        action = actions.add_parser(name, parents=[parent], help=text)
        _connection_args(action)
        _order_ref_args(action)
        action.set_defaults(handler=handler)


def _with_connector(args: argparse.Namespace, *, trading: bool,
                    work: Callable[[Connector], Awaitable[T]]) -> T:
    store = common.open_store(args)
    conn = common.resolve(store, args.ref)
    if trading and not conn.is_enabled:
        raise ConfigurationError(f"{conn.name} is disabled; enable it first: "
                                 f"venuekit connections enable {conn.id}")
    credentials = store.credentials(conn.id)

    async def go() -> T:
        async with connect(conn.exchange, credentials, testnet=conn.is_testnet,
                           base_url=args.base_url, registry=common.registry()) as connector:
            return await work(connector)

    return common.run_async(go())


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value.normalize():f}"


def _print_order(args: argparse.Namespace, order: OrderResult) -> None:
    if args.json:
        emit_json(order)
        return
    rows = [
        ["exchange", order.exchange], ["symbol", order.symbol], ["order id", order.order_id],
        ["client order id", order.client_order_id or "-"],
        ["side", order.side.value if order.side else "-"],
        ["type", order.type.value if order.type else "-"], ["status", order.status.value],
        ["quantity", _money(order.quantity)], ["price", _money(order.price)],
        ["filled", _money(order.filled_quantity)], ["average price", _money(order.average_price)],
        ["time in force", order.time_in_force.value if order.time_in_force else "-"],
        ["reduce only", "yes" if order.reduce_only else "no"],
        ["created at", order.created_at.isoformat() if order.created_at else "-"],
    ]
    print(table(["field", "value"], rows))


@usage_errors
def run_balance(args: argparse.Namespace) -> int:
    balance = _with_connector(args, trading=False, work=lambda c: c.fetch_balance())
    if args.json:
        emit_json(balance)
        return EXIT_OK
    assets = [a for a in balance.assets if args.all_assets or a.total or a.free or a.used]
    if not assets:
        print("no assets held")
        return EXIT_OK
    print(table(["asset", "free", "used", "total"],
                [[a.asset, _money(a.free), _money(a.used), _money(a.total)] for a in assets]))
    return EXIT_OK


@usage_errors
def run_place(args: argparse.Namespace) -> int:
    try:
        params = OrderParams(symbol=args.symbol, side=args.side, type=args.type,
                             quantity=args.quantity, price=args.price, time_in_force=args.tif,
                             client_order_id=args.client_order_id,
                             reduce_only=args.reduce_only, quote_quantity=args.quote_quantity)
    except InvalidOrder as exc:
        raise UsageError(f"invalid order: {exc}") from None
    try:
        order = _with_connector(args, trading=True, work=lambda c: c.place_order(params))
    except OrderStatusUnknown as exc:
        print(f"venuekit: {exc}", file=sys.stderr)
        if exc.client_order_id:
            print(f"venuekit: the order may exist; look it up with: venuekit order status "
                  f"{args.ref} --symbol {args.symbol} --client-order-id {exc.client_order_id}",
                  file=sys.stderr)
        return EXIT_FAILURE
    _print_order(args, order)
    return EXIT_OK


@usage_errors
def run_cancel(args: argparse.Namespace) -> int:
    order = _with_connector(args, trading=False, work=lambda c: c.cancel_order(
        args.symbol, order_id=args.order_id, client_order_id=args.client_order_id))
    _print_order(args, order)
    return EXIT_OK


@usage_errors
def run_status(args: argparse.Namespace) -> int:
    order = _with_connector(args, trading=False, work=lambda c: c.fetch_order(
        args.symbol, order_id=args.order_id, client_order_id=args.client_order_id))
    _print_order(args, order)
    return EXIT_OK
