"""Frame decoding and URL rewriting: pure helpers of the stream machinery."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from ..stream_models import Compression

__all__ = ["base_for", "decode", "rebase_url"]


def decode(data: str | bytes, compression: Compression) -> str:
    """A frame's text: text frames as they are, binary ones unpacked as the venue packs them."""
    if isinstance(data, str):
        return data
    if compression is Compression.GZIP:
        return gzip.decompress(data).decode()
    if compression is Compression.DEFLATE:
        return zlib.decompress(data, -zlib.MAX_WBITS).decode()
    return data.decode()


def base_for(base: str | Mapping[str, str] | None, role: str) -> str | None:
    """The stream base URL for sockets of ``role``: one for every socket, or per role
    (``{"private": "wss://stream-demo.bybit.com"}``; other roles keep the venue's host)."""
    if base is None or isinstance(base, str):
        return base
    return base.get(role)


def rebase_url(url: str, base: str | None) -> str:
    """Replace ``url``'s scheme and host with ``base``'s; path and query are kept.

    ``http``/``https`` bases become ``ws``/``wss``, so the simulator's REST base URL serves.
    """
    if not base:
        return url
    target = urlsplit(base if "://" in base else f"ws://{base}")
    scheme = {"http": "ws", "https": "wss"}.get(target.scheme, target.scheme)
    parts = urlsplit(url)
    return urlunsplit((scheme, target.netloc, parts.path, parts.query, parts.fragment))
