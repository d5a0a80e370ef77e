"""The API's bearer token: where it comes from, and the middleware that checks it.

The token is ``VENUEKIT_API_TOKEN`` when that is set, otherwise ``<store root>/api.token``,
a 0600 file created on the first ``venuekit serve`` with 32 random bytes (URL-safe base64).
The file is created under a temporary name and hard-linked into place, so two servers
starting at once agree on one token instead of one overwriting the other's. A token file
that others can read is refused, as ``ssh`` refuses such a key.

Every route needs ``Authorization: Bearer <token>`` except the ones named public
(``GET /api/health``). The comparison is :func:`hmac.compare_digest` on bytes, so its time
does not depend on how much of a guess is right. Neither the token nor a guess at it is
ever logged or echoed.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import stat
import sys
import tempfile
from collections.abc import Collection, Mapping
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from attrs import field, frozen

from ..errors import ConfigurationError
from ..store.atomic import TEMP_SUFFIX, ensure_private_dir, fsync_dir
from .errors import ApiError

__all__ = ["ENV_TOKEN", "MIN_TOKEN_LENGTH", "TOKEN_FILE", "ApiToken", "bearer_middleware",
           "resolve_token"]

ENV_TOKEN = "VENUEKIT_API_TOKEN"  # noqa: S105 - the variable's name, not a value
TOKEN_FILE = "api.token"  # noqa: S105 - a file name
MIN_TOKEN_LENGTH = 16


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="venuekit"'}


@frozen
class ApiToken:
    """A token and where it came from (said to the user; the value never is)."""

    value: str = field(repr=False)
    source: str
    created: bool = False


def _check(token: str, where: str) -> str:
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigurationError(f"the API token in {where} is shorter than "
                                 f"{MIN_TOKEN_LENGTH} characters")
    if not all(33 <= ord(ch) <= 126 for ch in token):
        raise ConfigurationError(f"the API token in {where} must be printable ASCII "
                                 "without spaces")
    return token


def _read(path: Path) -> str:
    if sys.platform != "win32":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigurationError(f"{path} is readable by other users (mode {mode:o}): "
                                     f"run 'chmod 600 {path}'")
    try:
        text = path.read_text("ascii")
    except UnicodeDecodeError:
        raise ConfigurationError(f"{path} is not a token file; delete it to make a new "
                                 "token") from None
    return _check(text.strip(), str(path))


def _create(path: Path) -> bool:
    """Write a new token unless the file exists; ``True`` if this call created it."""
    ensure_private_dir(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX,
                                    dir=path.parent)  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp_name, path)  # never replaces: the first server's token wins
        except FileExistsError:
            return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
    fsync_dir(path.parent)
    return True


def resolve_token(root: Path, environ: Mapping[str, str] | None = None) -> ApiToken:
    """The token to serve with: the environment's, or the store's token file (made if new).

    :param root: the connection store's root; the file is ``<root>/api.token``.
    :param environ: the environment to read (``os.environ`` by default).
    :raises ConfigurationError: a token that is too short, not printable ASCII, or kept in
        a file other users can read.
    """
    env = os.environ if environ is None else environ
    if env.get(ENV_TOKEN):
        return ApiToken(_check(env[ENV_TOKEN], f"${ENV_TOKEN}"), f"${ENV_TOKEN}")
    path = Path(root) / TOKEN_FILE
    created = False if path.exists() else _create(path)
    return ApiToken(_read(path), str(path), created)


def _bytes(text: str) -> bytes:
    # surrogatepass never fails, so a header with odd bytes is simply a wrong token
    return text.encode("utf-8", "surrogatepass")


def bearer_middleware(token: str, *, public: Collection[str] = ()) -> Middleware:
    """Refuse every request without the right bearer token, except to ``public`` routes.

    :param token: the expected token.
    :param public: names of routes anyone may call (unknown routes are never public, so a
        caller without the token cannot even tell which paths exist).
    """
    expected = _bytes(token)
    open_routes = frozenset(public)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.match_info.route.name not in open_routes:
            header = request.headers.get("Authorization")
            if header is None:
                raise ApiError(401, "unauthorized",
                               "missing bearer token: send 'Authorization: Bearer <token>'",
                               _CHALLENGE)
            scheme, _, given = header.partition(" ")
            if scheme.lower() != "bearer" or not given:
                raise ApiError(401, "unauthorized",
                               "the Authorization header must be 'Bearer <token>'", _CHALLENGE)
            if not hmac.compare_digest(_bytes(given.strip()), expected):
                raise ApiError(401, "unauthorized", "invalid bearer token", _CHALLENGE)
        return await handler(request)

    return middleware
