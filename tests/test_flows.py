"""Flows and pages driven with canned results: no core, no network."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from venuekit import ExchangeError, OrderNotFound, PluginError
from venuekit.flows import (
    Flow,
    Page,
    PageCollector,
    Pages,
    Steps,
    Walk,
    drive,
    run_pages,
    run_plan,
    step,
)
from venuekit.wire import Call, Request, Response


def call(path: str, **query: str) -> Call[Any]:
    return Call(Request(method="GET", path=path, query=query), _never_parsed)


def _never_parsed(response: Response) -> Any:
    raise AssertionError("canned answers never reach a parser")


def answers(table: dict[str, Any]) -> Callable[[Call[Any]], Any]:
    """Answer by path; an exception in the table is raised, as the core would."""
    def answer(c: Call[Any]) -> Any:
        value = table[c.request.path]
        if isinstance(value, BaseException):
            raise value
        return value(c) if callable(value) else value
    return answer


# ---------------------------------------------------------------- flows


def amend_like() -> Flow[str]:
    def steps() -> Steps[str]:
        order = yield from step(call("/order"))
        result = yield from step(call("/amend", side=order["side"]))
        return f"{result}:{order['side']}"
    return Flow(steps)


def test_flow_feeds_each_result_into_the_next_call() -> None:
    seen: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def answer(c: Call[Any]) -> Any:
        seen.append((c.request.path, c.request.query))
        return {"side": "BUY"} if c.request.path == "/order" else "amended"
    assert drive(amend_like(), answer) == "amended:BUY"
    assert seen == [("/order", ()), ("/amend", (("side", "BUY"),))]


async def test_run_plan_sends_through_the_given_sender() -> None:
    sent: list[str] = []

    async def send(c: Call[Any]) -> Any:
        sent.append(c.request.path)
        return {"side": "SELL"} if c.request.path == "/order" else "ok"
    assert await run_plan(amend_like(), send) == "ok:SELL"
    assert sent == ["/order", "/amend"]


async def test_a_single_call_is_a_plan_too() -> None:
    async def send(c: Call[Any]) -> Any:
        return 42
    assert await run_plan(call("/x"), send) == 42
    assert drive(call("/x"), lambda c: 7) == 7


def test_an_error_is_thrown_into_the_flow_which_may_turn_it_into_success() -> None:
    def steps() -> Steps[int]:
        try:
            return (yield from step(call("/leverage")))
        except ExchangeError as exc:
            if exc.code == "-4046":
                return 5
            raise
    already = ExchangeError("no need to change", code=-4046)
    assert drive(Flow(steps), answers({"/leverage": already})) == 5
    other = ExchangeError("bad", code=-1)
    with pytest.raises(ExchangeError) as info:
        drive(Flow(steps), answers({"/leverage": other}))
    assert info.value is other


async def test_an_error_the_flow_does_not_catch_reaches_the_caller() -> None:
    missing = OrderNotFound("gone")

    async def send(c: Call[Any]) -> Any:
        raise missing
    with pytest.raises(OrderNotFound) as info:
        await run_plan(amend_like(), send)
    assert info.value is missing


def test_per_instrument_flow_makes_one_call_each_and_merges() -> None:
    def steps() -> Steps[list[str]]:
        out = []
        for name in ("A", "B", "C"):
            rows = yield from step(call("/position", instrument=name))
            out.extend(rows)
        return out
    result = drive(Flow(steps), lambda c: [dict(c.request.query)["instrument"].lower()]
                   if c.request.query[0][1] != "B" else [])
    assert result == ["a", "c"]


def test_a_flow_can_be_run_twice() -> None:
    flow = amend_like()
    answer = answers({"/order": {"side": "BUY"}, "/amend": "done"})
    assert drive(flow, answer) == drive(flow, answer) == "done:BUY"


def test_yielding_something_else_than_a_call_is_a_plugin_error() -> None:
    def steps() -> Steps[int]:
        yield "not a call"  # type: ignore[misc]
        return 1
    with pytest.raises(PluginError, match="yielded str"):
        drive(Flow(steps), lambda c: None)


def test_a_flow_that_never_ends_is_stopped() -> None:
    def steps() -> Steps[int]:
        while True:
            yield call("/again")
    with pytest.raises(PluginError, match="more than"):
        drive(Flow(steps), lambda c: None)


# ---------------------------------------------------------------- pages

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def item(n: int, minutes: int | None = None) -> tuple[str, datetime]:
    return str(n), T0 + timedelta(minutes=n if minutes is None else minutes)


def collector(walk: Walk, limit: int | None, since: datetime | None = None
              ) -> PageCollector[tuple[str, datetime]]:
    return PageCollector(
        key=lambda i: i[0], order=lambda i: (i[1], int(i[0])), walk=walk, limit=limit,
        keep=None if since is None else (lambda i: i[1] >= since),
        older=None if since is None else (lambda i: i[1] < since), bounded=since is not None)


def id_cursor_pages(total: int, size: int) -> tuple[Pages[tuple[str, datetime]],
                                                     Callable[[Call[Any]], Any]]:
    """A forward id cursor over items 1..total, ``size`` a page."""
    def page_call(from_id: int) -> Call[Page[tuple[str, datetime]]]:
        return Call(Request(method="GET", path="/fills", query={"fromId": str(from_id)}),
                    _never_parsed)

    def answer(c: Call[Any]) -> Page[tuple[str, datetime]]:
        start = int(dict(c.request.query)["fromId"])
        rows = [item(n) for n in range(start, min(start + size, total + 1))]
        more = start + size <= total
        return Page(rows, page_call(start + size) if more else None)
    return Pages(page_call(1), Walk.FORWARD), answer


async def run(pages: Pages[Any], coll: PageCollector[Any],
              answer: Callable[[Call[Any]], Any]) -> tuple[list[Any], int]:
    count = 0

    async def send(c: Call[Any]) -> Any:
        nonlocal count
        count += 1
        return answer(c)
    return await run_pages(pages, coll, send), count


async def test_forward_id_cursor_walks_to_the_end_without_a_bound() -> None:
    pages, answer = id_cursor_pages(10, 3)
    result, requests = await run(pages, collector(Walk.FORWARD, None), answer)
    assert [i[0] for i in result] == [str(n) for n in range(1, 11)]
    assert requests == 4


async def test_forward_without_bound_keeps_the_newest_limit() -> None:
    pages, answer = id_cursor_pages(10, 3)
    result, requests = await run(pages, collector(Walk.FORWARD, 4), answer)
    assert [i[0] for i in result] == ["7", "8", "9", "10"]
    assert requests == 4  # the newest come last: it had to walk to the end


async def test_forward_with_bound_stops_once_it_holds_limit() -> None:
    pages, answer = id_cursor_pages(10, 3)
    result, requests = await run(pages, collector(Walk.FORWARD, 4, since=T0), answer)
    assert [i[0] for i in result] == ["1", "2", "3", "4"]
    assert requests == 2


def time_windows_backward(newest: int, width: int, items: list[tuple[str, datetime]]
                          ) -> tuple[Pages[tuple[str, datetime]], Callable[[Call[Any]], Any]]:
    """Windows [end - width, end] in minutes walked backwards, inclusive at both ends."""
    def window(end: int) -> Call[Page[tuple[str, datetime]]]:
        return Call(Request(method="GET", path="/fills", query={"end": str(end)}),
                    _never_parsed)

    def answer(c: Call[Any]) -> Page[tuple[str, datetime]]:
        end = int(dict(c.request.query)["end"])
        rows = [i for i in items
                if end - width <= (i[1] - T0) / timedelta(minutes=1) <= end]
        return Page(rows, window(end - width) if end - width > 0 else None)
    return Pages(window(newest), Walk.BACKWARD), answer


async def test_backward_windows_overlap_at_the_edges_and_are_deduplicated() -> None:
    items = [item(n) for n in range(0, 21)]
    pages, answer = time_windows_backward(20, 5, items)
    result, requests = await run(pages, collector(Walk.BACKWARD, None), answer)
    assert [i[0] for i in result] == [str(n) for n in range(0, 21)]  # 5, 10, 15 seen twice
    assert requests == 4


async def test_backward_without_bound_stops_at_limit_and_keeps_the_newest() -> None:
    items = [item(n) for n in range(0, 21)]
    pages, answer = time_windows_backward(20, 5, items)
    result, requests = await run(pages, collector(Walk.BACKWARD, 3), answer)
    assert [i[0] for i in result] == ["18", "19", "20"]
    assert requests == 1


async def test_backward_with_bound_stops_past_it_and_keeps_the_oldest_in_range() -> None:
    items = [item(n) for n in range(0, 21)]
    pages, answer = time_windows_backward(20, 5, items)
    since = T0 + timedelta(minutes=12)
    result, requests = await run(pages, collector(Walk.BACKWARD, 3, since=since), answer)
    assert [i[0] for i in result] == ["12", "13", "14"]
    assert requests == 2  # the window [5, 10] reaches below the bound: stop


async def test_ties_on_time_follow_the_order_key() -> None:
    same = [item(n, minutes=1) for n in (12, 3, 7)]
    pages = Pages(Call(Request(method="GET", path="/f"), _never_parsed))
    result, _ = await run(pages, collector(Walk.FORWARD, None), lambda c: Page(same))
    assert [i[0] for i in result] == ["3", "7", "12"]


async def test_a_page_asked_for_twice_is_a_plugin_error() -> None:
    again = Call(Request(method="GET", path="/f", query={"cursor": "x"}), _never_parsed)
    pages = Pages(again)
    with pytest.raises(PluginError, match="same page twice"):
        await run(pages, collector(Walk.FORWARD, None), lambda c: Page([item(1)], again))


async def test_a_page_call_that_parses_to_something_else_is_a_plugin_error() -> None:
    pages = Pages(Call(Request(method="GET", path="/f"), _never_parsed))
    with pytest.raises(PluginError, match="not a Page"):
        await run(pages, collector(Walk.FORWARD, None), lambda c: [item(1)])


async def test_empty_windows_do_not_end_the_walk() -> None:
    items = [item(1)]
    pages, answer = time_windows_backward(20, 5, items)
    result, requests = await run(pages, collector(Walk.BACKWARD, None), answer)
    assert [i[0] for i in result] == ["1"]
    assert requests == 4
