"""Operations that need more than one request, described without I/O.

A hook returns a single :class:`~venuekit.Call` when one request does the job. When it
takes several, the plugin returns one of two descriptions and the core runs it through the
connector's normal path (limiter, clock, retries), one call at a time:

* :class:`Flow`: a generator that yields calls and receives their parsed results, then
  returns the merged result (the idea of httpx's ``auth_flow``). It covers "read the order,
  then amend it" (Binance needs the order's side and quantity), "positions, then leverage
  from a second endpoint", "one positions call per instrument" (OrangeX) and "list, then
  cancel-all, return what was listed". A call that fails is thrown into the generator at
  its ``yield``, so a plugin may turn a venue's "already set" error into success; an
  error the generator does not catch reaches the caller unchanged.
* :class:`Pages`: the first call of a paginated read, each returning a :class:`Page` with
  its items and the call for the next page (or None at the end). The plugin knows the
  venue's cursor (an id, a time window walked backwards, ``start_id``/``has_more``, an
  opaque token); the core loops, deduplicates and stops at the caller's ``limit``.

``Plan[T]`` is ``Call[T] | Flow[T]``: what most new hooks return. :func:`drive` runs a plan
against canned answers, synchronously, for plugin unit tests.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Generator, Hashable, Iterable
from typing import Any, Generic, TypeAlias, TypeVar, Union

from attrs import field, frozen

from .errors import PluginError, VenueError
from .wire import Call

__all__ = [
    "Flow",
    "Page",
    "PageCollector",
    "Pages",
    "Plan",
    "Steps",
    "Walk",
    "drive",
    "run_pages",
    "run_plan",
    "step",
]

T = TypeVar("T")
U = TypeVar("U")

#: A runaway flow (a plugin bug looping forever) is stopped after this many calls.
MAX_FLOW_CALLS = 1000
#: A pagination that never ends is stopped after this many pages.
MAX_PAGES = 10_000

Steps: TypeAlias = Generator[Call[Any], Any, T]


@frozen
class Flow(Generic[T]):
    """Several calls and a pure merge: ``steps()`` makes a fresh generator each run.

    ::

        def amend(ref, market, quantity, price):
            def steps():
                order = yield from step(fetch_order(ref, market))
                return (yield from step(put_order(order, quantity, price)))
            return Flow(steps)
    """

    steps: Callable[[], Steps[T]]


#: What most hooks of part two return: one call, or a flow of several.
Plan = Union[Call[T], Flow[T]]  # noqa: UP007 - a generic alias needs Union on 3.11


def step(call: Call[U]) -> Generator[Call[Any], Any, U]:
    """``result = yield from step(call)``: a typed ``yield`` inside a flow."""
    result: U = yield call
    return result


def _check_call(value: object) -> Call[Any]:
    if not isinstance(value, Call):
        raise PluginError(f"a flow yielded {type(value).__name__}, not a Call")
    return value


async def run_plan(plan: Plan[T], send: Callable[[Call[Any]], Awaitable[Any]]) -> T:
    """Run a call or a flow, sending each call with ``send`` (the connector's ``run``)."""
    if isinstance(plan, Call):
        result: T = await send(plan)
        return result
    generator = plan.steps()
    try:
        call = _check_call(next(generator))
        for _ in range(MAX_FLOW_CALLS):
            try:
                answer = await send(call)
            except VenueError as exc:
                call = _check_call(generator.throw(exc))
            else:
                call = _check_call(generator.send(answer))
    except StopIteration as done:
        value: T = done.value
        return value
    finally:
        generator.close()
    raise PluginError(f"a flow made more than {MAX_FLOW_CALLS} calls")


def drive(plan: Plan[T], answer: Callable[[Call[Any]], Any]) -> T:
    """Run a plan synchronously against ``answer`` (returns a parsed result or raises).

    For plugin unit tests: no core, no network; ``answer`` sees every call in order.
    """
    if isinstance(plan, Call):
        result: T = answer(plan)
        return result
    generator = plan.steps()
    try:
        call = _check_call(next(generator))
        for _ in range(MAX_FLOW_CALLS):
            try:
                value = answer(call)
            except VenueError as exc:
                call = _check_call(generator.throw(exc))
            else:
                call = _check_call(generator.send(value))
    except StopIteration as done:
        out: T = done.value
        return out
    finally:
        generator.close()
    raise PluginError(f"a flow made more than {MAX_FLOW_CALLS} calls")


# ---------------------------------------------------------------- pagination


class Walk(enum.Enum):
    """Which way the venue's pages run, so the core knows when it may stop early."""

    #: each page is newer than the one before (``fromId`` ascending, windows from ``since``)
    FORWARD = "forward"
    #: each page is older than the one before (newest first, cursors or windows walked back)
    BACKWARD = "backward"


def _items(value: Iterable[T]) -> tuple[T, ...]:
    return tuple(value)


@frozen
class Page(Generic[T]):
    """One page as the venue returned it, and the call for the next one (None: the end).

    ``items`` may be in any order and may overlap other pages (time windows are inclusive
    at both ends): the core sorts and deduplicates. An empty page with a ``next`` call is
    fine (a time window without fills); the walk ends only when ``next`` is None.
    """

    items: tuple[T, ...] = field(converter=_items)
    next: Call[Page[T]] | None = None


@frozen
class Pages(Generic[T]):
    """A paginated read: the first page's call and the direction the pages run."""

    first: Call[Page[T]]
    walk: Walk = Walk.FORWARD


class PageCollector(Generic[T]):
    """The pure loop state of a paginated read: dedupe, filter, sort, stop at ``limit``.

    ``key`` identifies an item across pages (the fill's trade id); ``order`` sorts oldest
    first with ties broken; ``keep`` filters (e.g. at or after ``since``); ``older`` says an
    item lies before the wanted range, which ends a backward walk early.

    Which items a ``limit`` keeps: with a lower bound (``since``) the oldest ``limit`` in
    range; without one, the newest ``limit``. So a forward walk stops early only with a
    bound (once it holds ``limit`` items), and a backward walk only without one (at
    ``limit``) or when it reaches an item older than the bound. Otherwise the walk ends
    at the venue's last page (``next`` None): choose the walk that suits the arguments.
    """

    def __init__(self, *, key: Callable[[T], Hashable], order: Callable[[T], Any],
                 walk: Walk, limit: int | None, keep: Callable[[T], bool] | None = None,
                 older: Callable[[T], bool] | None = None, bounded: bool = False) -> None:
        self._key = key
        self._order = order
        self._walk = walk
        self._limit = limit
        self._keep = keep
        self._older = older
        self._bounded = bounded
        self._items: dict[Hashable, T] = {}
        self._seen_requests: set[tuple[Any, ...]] = set()
        self.pages = 0

    def add(self, page: Page[T]) -> Call[Page[T]] | None:
        """Take one page; return the call for the next page, or None when done."""
        self.pages += 1
        passed_bound = False
        for item in page.items:
            if self._older is not None and self._older(item):
                passed_bound = True
            if self._keep is not None and not self._keep(item):
                continue
            self._items.setdefault(self._key(item), item)
        if page.next is None or self._enough(passed_bound):
            return None
        if self.pages >= MAX_PAGES:
            raise PluginError(f"pagination did not end after {MAX_PAGES} pages")
        self.remember(page.next)
        return page.next

    def remember(self, call: Call[Page[T]]) -> None:
        """Note a page request; asking for the same one twice is a plugin bug (a loop)."""
        request = call.request
        identity = (request.method, request.path, request.query, repr(request.body))
        if identity in self._seen_requests:
            raise PluginError(f"pagination asked for the same page twice: "
                              f"{request.method} {request.path} {request.query}")
        self._seen_requests.add(identity)

    def _enough(self, passed_bound: bool) -> bool:
        full = self._limit is not None and len(self._items) >= self._limit
        if self._walk is Walk.FORWARD:
            # from the bound upwards the first `limit` are the answer; without a bound the
            # newest are wanted, and they come last
            return self._bounded and full
        return passed_bound if self._bounded else full

    def result(self) -> list[T]:
        ordered = sorted(self._items.values(), key=self._order)
        if self._limit is None or len(ordered) <= self._limit:
            return ordered
        return ordered[:self._limit] if self._bounded else ordered[-self._limit:]


async def run_pages(pages: Pages[T], collector: PageCollector[T],
                    send: Callable[[Call[Any]], Awaitable[Any]]) -> list[T]:
    """Walk ``pages`` with ``send`` until ``collector`` has enough; the result, sorted."""
    call: Call[Page[T]] | None = pages.first
    collector.remember(pages.first)
    while call is not None:
        page = await send(call)
        if not isinstance(page, Page):
            raise PluginError(f"a page call parsed to {type(page).__name__}, not a Page")
        call = collector.add(page)
    return collector.result()
