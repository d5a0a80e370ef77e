"""The aiohttp socket opener: a refused handshake says whether the credentials were refused."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from venuekit.errors import AuthenticationError, NetworkError
from venuekit.streams.socket import AiohttpSocketOpener


@pytest.mark.parametrize(("status", "error"), [(401, AuthenticationError),
                                               (403, AuthenticationError),
                                               (503, NetworkError)])
async def test_a_refused_handshake_maps_to_the_error_tree(
        status: int, error: type[Exception]) -> None:
    async def refuse(request: web.Request) -> web.Response:
        return web.Response(status=status, text="no")

    app = web.Application()
    app.router.add_get("/ws", refuse)
    opener = AiohttpSocketOpener()
    async with TestServer(app) as server:
        with pytest.raises(error) as info:
            await opener.open(str(server.make_url("/ws?signature=abc")), timeout_s=2.0)
    await opener.aclose()
    assert type(info.value) is error and "abc" not in str(info.value)
