"""venuekit balance and venuekit order: trade through a stored connection.

The credentials are decrypted from the store for the one command and never printed. Each
command connects the way the connection says (live or testnet, its stored host);
``--base-url`` points one command somewhere else, e.g. at ``venuekit sandbox``.

A disabled connection places no orders; reading (balance, order status) and cancelling
still work, so disabling a connection in a hurry never leaves orders that cannot be pulled.

Exit codes: an order that cannot be an order as given (a limit order without a price, a
negative quantity) is a usage error, 2; one the venue (or the core's check against the
venue's market rules) refuses is a failure, 1.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from attrs import evolve

from ..connector import Connector, connect
from ..errors import InvalidOrder, OrderNeverPlaced, OrderStatusUnknown
from ..markets_cache import MarketsCache, use_cached_markets
from ..models import Credentials, OrderParams, OrderResult, OrderType, Side, TimeInForce
from ..retry import generate_client_order_id
from ..service import connect_options, journal_path, refuse_if_disabled
from ..store import ExchangeConnection
from . import common
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    home_option,
    host_url,
    json_option,
    wants_json,
)
from .limits import machine_limiter
from .output import emit_json, progress, table

__all__ = ["balance", "open_connector", "order"]

T = TypeVar("T")


if TYPE_CHECKING:
    _DecimalBase = click.ParamType[Decimal, Any]  # generic from click 8.5
else:
    _DecimalBase = click.ParamType


class _DecimalType(_DecimalBase):
    """A finite decimal number; never a float on the way (money is Decimal)."""

    name = "DECIMAL"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(f"not a number: {value!r}", param, ctx)
        if not number.is_finite():
            self.fail(f"not a finite number: {value!r}", param, ctx)
        return number


DECIMAL = _DecimalType()


def _connection_options(function: Any) -> Any:
    function = click.option(
        "--base-url", metavar="URL",
        help="Send requests here instead of the connection's host (e.g. a simulator).",
    )(function)
    return click.argument("ref", metavar="CONN")(function)


def _order_ref_options(function: Any) -> Any:
    function = click.option("--client-order-id", metavar="ID",
                            help="Your client order id (or give --order-id).")(function)
    function = click.option("--order-id", metavar="ID",
                            help="The venue's order id (or give --client-order-id).")(function)
    return click.option("--symbol", required=True,
                        help="Unified (BTC/USDT:USDT) or native (BTCUSDT) symbol.")(function)


def _one_ref(order_id: str | None, client_order_id: str | None) -> None:
    if (order_id is None) == (client_order_id is None):
        raise click.UsageError("give exactly one of --order-id and --client-order-id")


# ---------------------------------------------------------------- building the connector


def open_connector(conn: ExchangeConnection, credentials: Credentials,
                   base_url: str | None, journal: Path | None = None) -> Connector:
    """The connector every CLI command trades through: the stored connection's environment
    and hosts, ``base_url`` (``--base-url``) winning for this one command, and the
    connection's order journal (every order written down before it is sent; the first
    order of a run resolves what an interrupted one left open).
    """
    options = connect_options(conn)
    if base_url is not None:
        options["base_url"] = base_url
    return connect(conn.exchange, credentials, testnet=conn.is_testnet,
                   registry=common.registry(), journal=journal, **options)


def _with_connector(ref: str, home: Path | None, base_url: str | None, *, trading: bool,
                    work: Callable[[Connector], Awaitable[T]], markets: bool = True) -> T:
    """Run ``work`` on the connection's connector; ``markets``: the work needs the venue's
    markets, which then come from the on-disk cache when fresh (see markets_cache)."""
    override = host_url(base_url)
    store = common.open_store(home)
    conn = common.resolve(store, ref)
    if trading:
        refuse_if_disabled(conn)
    credentials = store.credentials(conn.id)

    async def go() -> T:
        journal = journal_path(store.root, conn.id)
        async with open_connector(conn, credentials, override, journal) as connector:
            if markets:
                await use_cached_markets(connector, MarketsCache.under(store.root))
            return await work(connector)

    with machine_limiter(store.root):
        return common.run_async(go())


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value.normalize():f}"


def _print_order(order: OrderResult) -> None:
    if wants_json():
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


# ---------------------------------------------------------------- balance


@click.command("balance", help="Account balance of a stored connection.")
@_connection_options
@click.option("--all-assets", is_flag=True, help="Also list assets with a zero balance.")
@home_option
@json_option
def balance(ref: str, base_url: str | None, all_assets: bool, home: Path | None) -> int:
    held = _with_connector(ref, home, base_url, trading=False, markets=False,
                           work=lambda c: c.fetch_balance())
    if wants_json():
        emit_json(held)
        return EXIT_OK
    assets = [a for a in held.assets if all_assets or a.total or a.free or a.used]
    if not assets:
        print("no assets held")
        return EXIT_OK
    print(table(["asset", "free", "used", "total"],
                [[a.asset, _money(a.free), _money(a.used), _money(a.total)] for a in assets]))
    return EXIT_OK


# ---------------------------------------------------------------- order


@click.group("order", help="Place, cancel or look up an order.")
def order() -> None:
    pass


def _client_order_id(connector: Connector) -> str:
    """A fresh client order id within the venue's rules, chosen before anything is sent."""
    maker = getattr(connector, "new_client_order_id", None)
    if callable(maker):
        made = maker()
        if isinstance(made, str):
            return made
    return generate_client_order_id(connector.info.client_order_id)


@order.command("place", short_help="Place one order.",
    help="Place one order. It is checked against the venue's market "
               "rules before anything is sent, and never sent twice. Its client order id is "
               "printed (on stderr) before it is sent, so an interrupted command can be "
               "followed up with venuekit order status.")
@_connection_options
@click.option("--symbol", required=True,
              help="Unified (BTC/USDT:USDT) or native (BTCUSDT) symbol.")
@click.option("--side", required=True, type=click.Choice([s.value for s in Side]))
@click.option("--type", "order_type", required=True,
              type=click.Choice([t.value for t in OrderType]))
@click.option("--quantity", type=DECIMAL, metavar="Q", help="In base currency.")
@click.option("--price", type=DECIMAL, metavar="P", help="Limit price.")
@click.option("--tif", type=click.Choice([t.value for t in TimeInForce]),
              help="Time in force (limit orders default to gtc).")
@click.option("--client-order-id", metavar="ID",
              help="Your id for the order (generated when left out).")
@click.option("--reduce-only", is_flag=True, help="Only reduce a position.")
@click.option("--quote-quantity", type=DECIMAL, metavar="Q",
              help="Size a market buy in quote currency (venues that do so).")
@home_option
@json_option
def run_place(ref: str, base_url: str | None, symbol: str, side: str, order_type: str,
              quantity: Decimal | None, price: Decimal | None, tif: str | None,
              client_order_id: str | None, reduce_only: bool, quote_quantity: Decimal | None,
              home: Path | None) -> int:
    try:
        params = OrderParams(symbol=symbol, side=side, type=order_type, quantity=quantity,
                             price=price, time_in_force=tif, client_order_id=client_order_id,
                             reduce_only=reduce_only, quote_quantity=quote_quantity)
    except InvalidOrder as exc:
        raise UsageError(f"invalid order: {exc}") from None
    chosen: list[str] = [client_order_id] if client_order_id else []

    async def place(connector: Connector) -> OrderResult:
        if not chosen:
            chosen.append(_client_order_id(connector))
        progress(f"client order id {chosen[0]}")
        return await connector.place_order(evolve(params, client_order_id=chosen[0]))

    def how_to_check(client_id: str) -> None:
        print(f"venuekit: the order may exist; look it up with: venuekit order status "
              f"{ref} --symbol {symbol} --client-order-id {client_id}", file=sys.stderr)

    try:
        placed = _with_connector(ref, home, base_url, trading=True, work=place)
    except OrderStatusUnknown as exc:
        print(f"venuekit: {exc}", file=sys.stderr)
        if exc.client_order_id or chosen:
            how_to_check(exc.client_order_id or chosen[0])
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("venuekit: interrupted", file=sys.stderr)
        if chosen:
            how_to_check(chosen[0])
        return EXIT_FAILURE
    _print_order(placed)
    return EXIT_OK


@order.command("cancel", help="Cancel an order (works on a disabled connection too).")
@_connection_options
@_order_ref_options
@home_option
@json_option
def run_cancel(ref: str, base_url: str | None, symbol: str, order_id: str | None,
               client_order_id: str | None, home: Path | None) -> int:
    _one_ref(order_id, client_order_id)
    cancelled = _with_connector(ref, home, base_url, trading=False, work=lambda c: c.cancel_order(
        symbol, order_id=order_id, client_order_id=client_order_id))
    _print_order(cancelled)
    return EXIT_OK


@order.command("status", help="Look an order up.")
@_connection_options
@_order_ref_options
@home_option
@json_option
def run_status(ref: str, base_url: str | None, symbol: str, order_id: str | None,
               client_order_id: str | None, home: Path | None) -> int:
    _one_ref(order_id, client_order_id)
    found = _with_connector(ref, home, base_url, trading=False, work=lambda c: c.fetch_order(
        symbol, order_id=order_id, client_order_id=client_order_id))
    _print_order(found)
    return EXIT_OK


@order.command("recover", help="Resolve the orders an interrupted run left open (by look-up "
               "only; nothing is ever sent again).")
@_connection_options
@home_option
@json_option
def run_recover(ref: str, base_url: str | None, home: Path | None) -> int:
    results = _with_connector(ref, home, base_url, trading=False,
                              work=lambda c: c.recover(), markets=False)
    rows: list[dict[str, Any]] = []
    for item in results:
        if isinstance(item, OrderResult):
            rows.append({"client_order_id": item.client_order_id, "outcome": "placed",
                         "order_id": item.order_id, "status": item.status.value,
                         "detail": ""})
        else:
            rows.append({"client_order_id": getattr(item, "client_order_id", None),
                         "outcome": "never placed" if isinstance(item, OrderNeverPlaced)
                         else "unknown", "order_id": None, "status": None,
                         "detail": item.message})
    if wants_json():
        emit_json({"orders": rows})
    elif not rows:
        print("nothing to recover: every journaled order is resolved")
    else:
        print(table(["client order id", "outcome", "order id", "status", "detail"],
                    [[r["client_order_id"] or "-", r["outcome"], r["order_id"] or "-",
                      r["status"] or "-", r["detail"]] for r in rows]))
    unknown = any(r["outcome"] == "unknown" for r in rows)
    return EXIT_FAILURE if unknown else EXIT_OK
