"""Master keys and the keyring that seals connection secrets.

A keyring holds one or more 32-byte SecretBox keys: the first (the *primary*) encrypts,
every key decrypts. Holding more than one is the middle of a key rotation, and the reason
a rotation interrupted halfway loses nothing: until every file is rewritten, the old key
still opens the files not yet rewritten.

Keys come from ``VENUEKIT_MASTER_KEY`` (comma-separated, primary first, so a rotation can be
driven from the environment too) or from ``<root>/master.key``, a 0600 JSON file created on
first use. Where the user prefers a passphrase, that file is sealed under a key derived
from it with Argon2id, rather than the data key itself being derived: the data keys then
stay random, a rotation needs no new passphrase, and changing the passphrase rewrites one
small file instead of every connection.

Each key is known by a short fingerprint (``key_id``) recorded beside every ciphertext, so
a file sealed under a key the keyring lacks is named as such instead of failing to decrypt.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import nacl.exceptions
from nacl.secret import SecretBox

from ..errors import ConfigurationError, StoreError
from .atomic import TEMP_SUFFIX, atomic_write, ensure_private_dir, fsync_dir, write_synced
from .keys import (
    ENV_KEY,
    KEY_SIZE,
    KdfParams,
    Limits,
    b64,
    generate_key,
    key_id,
    parse_key,
    unb64,
)
from .safeio import MAX_KEY_FILE_BYTES, Unreadable, io_failure, parse_json, read_regular

__all__ = ["ENV_KEY", "ENV_PASSPHRASE", "KEY_FILE", "Keyring"]

ENV_PASSPHRASE = "VENUEKIT_PASSPHRASE"  # noqa: S105 - the variable's name, not a value
KEY_FILE = "master.key"
_FORMAT = "venuekit-keyring"
_VERSION = 1


class Keyring:
    """The keys of one store; the first encrypts, all decrypt.

    A stateful service: a rotation changes it in place and, when it came from a key file,
    rewrites that file before any connection is sealed under the new key.
    """

    def __init__(self, keys: Sequence[bytes], *, source: str = "memory",
                 path: Path | None = None, kdf: KdfParams | None = None,
                 kek: bytes | None = None) -> None:
        if not keys:
            raise ConfigurationError("a keyring needs at least one key")
        for material in keys:
            if len(material) != KEY_SIZE:
                raise ConfigurationError(f"a master key is {KEY_SIZE} bytes, not {len(material)}")
        self._keys = {key_id(material): bytes(material) for material in keys}
        self._order = list(self._keys)
        self.source = source
        self.path = path
        self._kdf = kdf
        self._kek = kek
        self._stamp: tuple[int, int, int] | None = None

    # ------------------------------------------------------------ constructors

    @classmethod
    def from_keys(cls, *keys: bytes) -> Keyring:
        """An in-memory keyring, for embedding and tests; nothing is persisted."""
        return cls(keys)

    @classmethod
    def from_env_value(cls, value: str) -> Keyring:
        keys = [parse_key(part) for part in value.split(",") if part.strip()]
        if not keys:
            raise ConfigurationError(f"{ENV_KEY} is set but empty")
        return cls(keys, source="env")

    @classmethod
    def load(cls, root: Path, *, environ: Mapping[str, str] | None = None,
             passphrase: str | None = None, create: bool = False,
             limits: Limits = "moderate") -> Keyring:
        """The keyring a store at ``root`` uses: the environment's key, else the key file.

        ``create`` makes the key file when there is none (only a writer should: a reader
        finding no key has lost one, and a fresh key would only hide that). ``passphrase``
        falls back to ``VENUEKIT_PASSPHRASE``; it protects a key file being created and
        opens one that is protected.
        """
        env = os.environ if environ is None else environ
        if env.get(ENV_KEY):
            return cls.from_env_value(env[ENV_KEY])
        if passphrase is None:
            passphrase = env.get(ENV_PASSPHRASE) or None
        path = root / KEY_FILE
        try:
            return cls._read_file(path, passphrase)
        except FileNotFoundError:
            if not create:
                raise ConfigurationError(
                    f"no master key: {ENV_KEY} is not set and {path} does not exist; "
                    "restore the key file or set the variable") from None
        try:
            return cls.create_file(root, passphrase=passphrase, limits=limits)
        except FileExistsError:  # another process created it first: use theirs
            return cls._read_file(path, passphrase)

    @classmethod
    def create_file(cls, root: Path, *, passphrase: str | None = None,
                    limits: Limits = "moderate") -> Keyring:
        """Create ``<root>/master.key`` with a fresh key; never replaces an existing one.

        The file is linked into place, which fails if it exists, so two processes starting
        on an empty directory cannot each encrypt under a key the other then overwrites.
        """
        ensure_private_dir(root)
        kdf = kek = None
        if passphrase:
            kdf = KdfParams.new(limits)
            kek = kdf.derive(passphrase)
        keyring = cls([generate_key()], source="file", path=root / KEY_FILE, kdf=kdf, kek=kek)
        path = root / KEY_FILE
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{KEY_FILE}.", suffix=TEMP_SUFFIX, dir=root)
        except OSError as exc:
            raise io_failure(exc, path, "creating") from exc
        try:
            try:
                write_synced(fd, keyring._file_bytes())
            finally:
                os.close(fd)
            os.link(tmp, path)
            keyring._stamp = _stamp(os.stat(path))
        except FileExistsError:
            raise
        except OSError as exc:
            raise io_failure(exc, path, "creating") from exc
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        try:
            fsync_dir(root)
        except OSError as exc:
            raise io_failure(exc, root, "syncing the directory") from exc
        return keyring

    @classmethod
    def _read_file(cls, path: Path, passphrase: str | None, *,
                   known: tuple[KdfParams | None, bytes | None] = (None, None)) -> Keyring:
        try:
            stamp = _stamp(os.stat(path))
            raw = read_regular(path, max_bytes=MAX_KEY_FILE_BYTES, follow_symlinks=True)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise io_failure(exc, path, "reading") from exc
        except Unreadable as exc:  # a directory, a FIFO, a huge file: not a key file at all
            raise StoreError(f"cannot read the key file: {exc}", path=str(path)) from None
        try:
            data = parse_json(raw)
            if not isinstance(data, dict) or data.get("format") != _FORMAT:
                raise ValueError("not a venuekit key file")
            if data.get("version") != _VERSION:
                raise ValueError(f"key file version {data.get('version')!r} is not supported")
            kdf = None if data.get("kdf") is None else KdfParams.from_json(data["kdf"])
        except (Unreadable, ValueError, KeyError, TypeError) as exc:
            raise ConfigurationError(f"{path}: cannot read the key file: {exc}") from None
        kek = None
        encoded: Any
        if kdf is None:
            encoded = data.get("keys")
        else:
            if kdf == known[0] and known[1] is not None:
                kek = known[1]  # same salt and limits: skip a second of Argon2id
            elif not passphrase:
                raise ConfigurationError(
                    f"{path} is protected by a passphrase: set {ENV_PASSPHRASE} or pass one")
            else:
                kek = kdf.derive(passphrase)
            try:
                sealed = unb64(data.get("sealed"))
            except ValueError as exc:
                raise ConfigurationError(f"{path}: cannot read the key file: {exc}") from None
            try:
                opened = SecretBox(kek).decrypt(sealed)
            except nacl.exceptions.CryptoError:
                raise ConfigurationError(f"{path}: wrong passphrase") from None
            encoded = json.loads(opened)["keys"]
        try:
            if not isinstance(encoded, list):
                raise ValueError("no list of keys")
            keys = [unb64(item) for item in encoded]
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"{path}: cannot read the key file: {exc}") from None
        keyring = cls(keys, source="file", path=path, kdf=kdf, kek=kek)
        keyring._stamp = stamp
        return keyring

    def refresh(self, passphrase: str | None = None) -> bool:
        """Re-read the key file if another process replaced it; True when it did.

        A long-running process (the HTTP server) must not keep sealing under a key that a
        ``venuekit key rotate`` in another process has since retired, nor fail to read the
        files that rotation rewrote. One ``stat`` per call makes that cheap to check.
        """
        if self.path is None:
            return False
        try:
            stamp = _stamp(os.stat(self.path))
        except FileNotFoundError:
            raise ConfigurationError(f"{self.path} was removed while in use") from None
        if stamp == self._stamp:
            return False
        fresh = Keyring._read_file(self.path, passphrase or os.environ.get(ENV_PASSPHRASE),
                                   known=(self._kdf, self._kek))
        self._keys, self._order = fresh._keys, fresh._order
        self._kdf, self._kek, self._stamp = fresh._kdf, fresh._kek, fresh._stamp
        return True

    # ------------------------------------------------------------ sealing

    @property
    def primary_id(self) -> str:
        return self._order[0]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._order)

    @property
    def rotating(self) -> bool:
        """More than one key: a rotation started and has not yet retired the old keys."""
        return len(self._order) > 1

    @property
    def protected(self) -> bool:
        return self._kdf is not None

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def seal(self, plaintext: bytes) -> tuple[str, bytes]:
        """Encrypt under the primary key with a random nonce; returns (key id, box)."""
        kid = self._order[0]
        return kid, bytes(SecretBox(self._keys[kid]).encrypt(plaintext))

    def open(self, kid: str, box: bytes) -> bytes:
        """Decrypt; ``LookupError`` for a key not held, ``CryptoError`` for a bad box."""
        try:
            material = self._keys[kid]
        except KeyError:
            raise LookupError(kid) from None
        return SecretBox(material).decrypt(box)

    # ------------------------------------------------------------ rotation

    def add_primary(self, material: bytes | None = None) -> str:
        """Start a rotation: a new key encrypts from now on, the old ones still decrypt.

        The key file is rewritten before this returns, so no connection is ever sealed
        under a key that exists only in memory.
        """
        if self.source == "env":
            raise ConfigurationError(
                f"the master key comes from {ENV_KEY}: to rotate, put a new key first "
                f"({ENV_KEY}=<new>,<old>) and rotate again; drop the old key afterwards")
        material = generate_key() if material is None else material
        kid = key_id(material)
        if kid in self._keys:
            raise ConfigurationError("the new key is already in the keyring")
        self._commit({**self._keys, kid: bytes(material)}, [kid, *self._order],
                     self._kdf, self._kek)
        return kid

    def retire_old(self) -> tuple[str, ...]:
        """Finish a rotation: forget every key but the primary. Returns the retired ids.

        For an environment keyring nothing can be forgotten here; the ids returned are
        the keys the user may now drop from the variable.
        """
        retired = tuple(self._order[1:])
        if not retired or self.source == "env":
            return retired
        primary = self._order[0]
        self._commit({primary: self._keys[primary]}, [primary], self._kdf, self._kek)
        return retired

    def set_passphrase(self, passphrase: str | None, *, limits: Limits = "moderate") -> None:
        """Protect the key file with a passphrase (``None`` removes the protection)."""
        if self.path is None:
            raise ConfigurationError("only a key file can be protected by a passphrase")
        if passphrase:
            kdf = KdfParams.new(limits)
            self._commit(self._keys, self._order, kdf, kdf.derive(passphrase))
        else:
            self._commit(self._keys, self._order, None, None)

    def _commit(self, keys: dict[str, bytes], order: list[str], kdf: KdfParams | None,
                kek: bytes | None) -> None:
        """Make a changed keyring durable, then take it on: never the other way round.

        Were the change applied first, a failed write (a full disk) would leave this
        process sealing connections under a key no restart can find. Here a failure
        raises ``StoreError`` and the keyring in memory is exactly the one on disk.
        """
        stamp = self._stamp
        if self.path is not None:
            atomic_write(self.path, _file_bytes(keys, order, kdf, kek), mode=0o600)
            try:
                stamp = _stamp(os.stat(self.path))
            except OSError:
                stamp = None  # the next refresh re-reads the file, which holds this state
        self._keys, self._order, self._kdf, self._kek = dict(keys), list(order), kdf, kek
        self._stamp = stamp

    def _file_bytes(self) -> bytes:
        return _file_bytes(self._keys, self._order, self._kdf, self._kek)

    def __repr__(self) -> str:
        return f"Keyring(source={self.source!r}, key_ids={list(self._order)!r})"


def _file_bytes(keys: Mapping[str, bytes], order: Sequence[str], kdf: KdfParams | None,
                kek: bytes | None) -> bytes:
    encoded = [b64(keys[kid]) for kid in order]
    data: dict[str, Any] = {"format": _FORMAT, "version": _VERSION}
    if kdf is None or kek is None:
        data.update(kdf=None, keys=encoded)
    else:
        sealed = SecretBox(kek).encrypt(json.dumps({"keys": encoded}).encode())
        data.update(kdf=kdf.to_json(), sealed=b64(bytes(sealed)))
    data["key_ids"] = list(order)  # informational: which fingerprints to expect
    return (json.dumps(data, indent=2) + "\n").encode()


def _stamp(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_ino, st.st_mtime_ns, st.st_size
