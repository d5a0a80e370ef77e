"""The host-side connection store: exchange connections on disk, secrets sealed.

See :class:`ConnectionStore` for the directory layout and the locking rules, and
:mod:`venuekit.store.crypto` for where keys come from and how a rotation survives a crash.
"""

from __future__ import annotations

from .crypto import ENV_PASSPHRASE, KEY_FILE, Keyring
from .keys import ENV_KEY, generate_key, key_id, parse_key
from .model import (
    SCHEMA_VERSION,
    ConnectionNotFound,
    ConnectionStatus,
    ExchangeConnection,
    KeyMismatch,
    LoadResult,
    Problem,
)
from .store import ENV_HOME, ConnectionStore, RotationResult, default_root
from .testlog import LogPage

__all__ = [
    "ENV_HOME",
    "ENV_KEY",
    "ENV_PASSPHRASE",
    "KEY_FILE",
    "SCHEMA_VERSION",
    "ConnectionNotFound",
    "ConnectionStatus",
    "ConnectionStore",
    "ExchangeConnection",
    "KeyMismatch",
    "Keyring",
    "LoadResult",
    "LogPage",
    "Problem",
    "RotationResult",
    "default_root",
    "generate_key",
    "key_id",
    "parse_key",
]
