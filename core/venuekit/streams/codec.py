"""Frame decoding and URL rewriting: pure helpers of the stream machinery."""

from __future__ import annotations

import gzip
import zlib
from urllib.parse import urlsplit, urlunsplit

from ..stream_models import Compression

__all__ = ["decode", "rebase_url"]


def decode(data: str | bytes, compression: Compression) -> str:
    """A frame's text: text frames as they are, binary ones unpacked as the venue packs them."""
    if isinstance(data, str):
        return data
    if compression is Compression.GZIP:
        return gzip.decompress(data).decode()
    if compression is Compression.DEFLATE:
        return zlib.decompress(data, -zlib.MAX_WBITS).decode()
    return data.decode()


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
