"""Binance USDⓈ-M positions: ``positionRisk`` v3 merged with ``symbolConfig`` (no I/O)."""

from __future__ import annotations

from venuekit.account_models import MarginMode, Position, PositionSide
from venuekit.flows import Flow, Steps, step
from venuekit.models import Market
from venuekit.payload import Reader
from venuekit.wire import Call, Request

from .endpoints import IP_WEIGHT

POSITION_RISK_PATH = "/fapi/v3/positionRisk"
SYMBOL_CONFIG_PATH = "/fapi/v1/symbolConfig"


def _by_native(markets: list[Market]) -> dict[str, Market]:
    return {m.native: m for m in markets}


# ---------------------------------------------------------------- positions


_MARGIN = {"CROSSED": MarginMode.CROSS, "CROSS": MarginMode.CROSS,
           "ISOLATED": MarginMode.ISOLATED}


def position(row: Reader, market: Market, config: Reader | None) -> Position | None:
    """A ``positionRisk`` v3 row merged with its ``symbolConfig`` row; None when flat.

    One-way mode reports ``positionSide`` BOTH and a signed ``positionAmt``; hedge mode
    LONG / SHORT (SHORT amounts negative).
    """
    amount = row.decimal("positionAmt")
    if amount == 0:
        return None
    native_side = row.optional_text("positionSide") or "BOTH"
    if native_side == "BOTH":
        side = PositionSide.LONG if amount > 0 else PositionSide.SHORT
    else:
        side = PositionSide.LONG if native_side == "LONG" else PositionSide.SHORT
    leverage = None if config is None else config.optional_decimal("leverage")
    margin = None if config is None else _MARGIN.get(str(config.get("marginType")).upper())
    return Position(symbol=market.symbol, side=side, quantity=abs(amount),
                    entry_price=row.nonzero_decimal("entryPrice"),
                    mark_price=row.nonzero_decimal("markPrice"),
                    unrealized_pnl=row.optional_decimal("unRealizedProfit"),
                    leverage=leverage, liquidation_price=row.nonzero_decimal("liquidationPrice"),
                    margin_mode=margin)


def _symbol_query(markets: list[Market] | None) -> list[tuple[str, str]]:
    return [("symbol", markets[0].native)] if markets and len(markets) == 1 else []


def fetch_positions(markets: list[Market] | None,
                    all_markets: list[Market]) -> Flow[list[Position]]:
    """``GET /fapi/v3/positionRisk`` (weight 5; only symbols with a position or open
    orders, no leverage or margin type), merged with ``GET /fapi/v1/symbolConfig``
    (weight 5) for ``leverage`` and ``marginType``; the second call is skipped when flat."""
    known = _by_native(all_markets)
    query = _symbol_query(markets)

    def steps() -> Steps[list[Position]]:
        rows = yield from step(Call(Request(
            method="GET", path=POSITION_RISK_PATH, query=query, signed=True,
            cost={IP_WEIGHT: 5}), lambda r: Reader.of(r).rows()))
        open_rows = [row for row in rows
                     if row.get("symbol") in known and row.decimal("positionAmt") != 0]
        if not open_rows:
            return []
        configs = yield from step(Call(Request(
            method="GET", path=SYMBOL_CONFIG_PATH, query=query, signed=True,
            cost={IP_WEIGHT: 5}), lambda r: {row.text("symbol"): row
                                             for row in Reader.of(r).rows()}))
        out = []
        for row in open_rows:
            native = row.text("symbol")
            found = position(row, known[native], configs.get(native))
            if found is not None:
                out.append(found)
        return out
    return Flow(steps)


