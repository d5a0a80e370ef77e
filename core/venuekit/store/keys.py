"""Key material: generating, fingerprinting and parsing master keys, and passphrase KDF.

Kept apart from the keyring so the pieces a CLI needs (``venuekit key init`` printing a
fresh key, checking a pasted one) carry no file handling with them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from typing import Any, Literal

import nacl.pwhash.argon2id as argon2id
import nacl.utils
from attrs import frozen
from nacl.secret import SecretBox

from ..errors import ConfigurationError

__all__ = ["ENV_KEY", "KEY_SIZE", "KdfParams", "Limits", "b64", "generate_key", "key_id",
           "parse_key", "unb64"]

ENV_KEY = "VENUEKIT_MASTER_KEY"
KEY_SIZE: int = SecretBox.KEY_SIZE

_KDF_ALG = "argon2id13"

Limits = Literal["moderate", "interactive"]
_LIMITS: Mapping[str, tuple[int, int]] = {
    "moderate": (argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE),
    "interactive": (argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE),
}


def key_id(material: bytes) -> str:
    """Fingerprint a key so files can name it without revealing it.

    A personalised BLAKE2b digest: one way, and distinct from any other use of the key.
    """
    return hashlib.blake2b(material, digest_size=8, person=b"venuekit.keyid").hexdigest()


def generate_key() -> bytes:
    return nacl.utils.random(KEY_SIZE)


_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")


def parse_key(text: str, *, source: str = ENV_KEY) -> bytes:
    """Read one key written as 64 hex digits or as base64 (standard or URL-safe).

    Hex is tried first: 64 hex digits are also valid base64, of the wrong length. The
    message never repeats the value, which may be most of a real key with a typo.
    """
    text = text.strip()
    if _HEX_KEY.fullmatch(text):
        return bytes.fromhex(text)
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == KEY_SIZE:
        return raw
    raise ConfigurationError(
        f"{source} must be a {KEY_SIZE}-byte key written as 64 hex digits or as base64 "
        f"(got {len(text)} characters that are neither); generate one with "
        "`python -c \"import secrets; print(secrets.token_hex(32))\"`")


@frozen(repr=False)
class KdfParams:
    """How a passphrase became the key that seals ``master.key``; stored beside it."""

    salt: bytes
    opslimit: int
    memlimit: int

    @classmethod
    def new(cls, limits: Limits = "moderate") -> KdfParams:
        ops, mem = _LIMITS[limits]
        return cls(nacl.utils.random(argon2id.SALTBYTES), ops, mem)

    def derive(self, passphrase: str) -> bytes:
        if not passphrase:
            raise ConfigurationError("the passphrase for the master key must not be empty")
        return argon2id.kdf(KEY_SIZE, passphrase.encode(), self.salt,
                            opslimit=self.opslimit, memlimit=self.memlimit)

    def to_json(self) -> dict[str, Any]:
        return {"alg": _KDF_ALG, "salt": b64(self.salt), "opslimit": self.opslimit,
                "memlimit": self.memlimit}

    @classmethod
    def from_json(cls, data: object) -> KdfParams:
        if not isinstance(data, dict) or data.get("alg") != _KDF_ALG:
            raise ValueError(f"unknown key derivation {data!r}")
        return cls(unb64(data["salt"]), int(data["opslimit"]), int(data["memlimit"]))


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("expected a base64 string")
    return base64.b64decode(text, validate=True)
