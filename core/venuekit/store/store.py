"""The connection store: one encrypted JSON file per connection under a private directory.

Layout (every directory 0700, every file 0600)::

    <root>/
        master.key              the keyring, unless VENUEKIT_MASTER_KEY supplies it
        .lock                   flock'ed by every writer
        connections/<id>.json   one connection, secrets sealed
        logs/<id>.jsonl         its test log, newest last

Readers take no lock: every file is replaced atomically, so a reader sees a whole old file
or a whole new one. Writers take one store-wide lock and read the file again inside it,
which is what makes a read-modify-write from two processes lose nothing.

The API is synchronous because it is a handful of small local file operations; async
callers run it with ``asyncio.to_thread`` rather than paying for a thread per file.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from attrs import frozen

from ..errors import StoreError
from ..models import Credentials
from . import testlog
from .atomic import FileLock, atomic_write, ensure_private_dir, fsync_dir, remove_stale_temps
from .codec import (
    Invalid,
    Sealed,
    UnknownKey,
    check_key,
    decode,
    encode,
    open_secrets,
    seal_secrets,
)
from .crypto import Keyring
from .keys import Limits
from .model import (
    ID_PATTERN,
    ConnectionNotFound,
    ConnectionStatus,
    ExchangeConnection,
    KeyMismatch,
    LoadResult,
    Problem,
)
from .safeio import MAX_CONNECTION_BYTES, Unreadable, io_failure, read_regular

__all__ = ["ENV_HOME", "ConnectionStore", "RotationResult", "default_root"]

ENV_HOME = "VENUEKIT_HOME"
DEFAULT_MAX_LOG_ENTRIES = 500


def default_root(environ: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """Where the store lives when no root is given; read at call time, never at import.

    ``VENUEKIT_HOME`` wins; otherwise the platform's per-user data directory.
    """
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if env.get(ENV_HOME):
        return Path(env[ENV_HOME]).expanduser()
    home = Path(env.get("HOME") or Path.home())
    if platform == "win32":
        base = Path(env["APPDATA"]) if env.get("APPDATA") else home / "AppData" / "Roaming"
    elif platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        xdg = env.get("XDG_DATA_HOME", "")
        # the XDG spec says a relative value is invalid and must be ignored
        base = Path(xdg) if os.path.isabs(xdg) else home / ".local" / "share"
    return base / "venuekit"


@frozen
class RotationResult:
    """What a rotation did. ``complete`` only once every old key is retired.

    A file sealed under a key the keyring never held is reported but does not hold the
    rotation back: retiring other keys cannot make it less readable. Any other problem
    does, since the file might be sealed under an old key.
    """

    key_id: str
    rewritten: tuple[str, ...]
    retired: tuple[str, ...]
    problems: tuple[Problem, ...]
    complete: bool


class ConnectionStore:
    """Exchange connections on disk, secrets sealed, safe against crashes and other writers.

    :param root: the data directory; ``None`` for :func:`default_root`.
    :param keyring: the keys to use; ``None`` loads the environment's or the key file,
        creating the key file on the first write.
    :param passphrase: protects a key file being created, or opens a protected one
        (falls back to ``VENUEKIT_PASSPHRASE``).
    :param max_log_entries: a test log keeps at most this many entries, newest.
    """

    def __init__(self, root: Path | str | None = None, *, keyring: Keyring | None = None,
                 passphrase: str | None = None, kdf_limits: Limits = "moderate",
                 max_log_entries: int = DEFAULT_MAX_LOG_ENTRIES) -> None:
        if max_log_entries < 1:
            raise ValueError("max_log_entries must be at least 1")
        self.root = Path(root) if root is not None else default_root()
        self.max_log_entries = max_log_entries
        self._keyring = keyring
        self._passphrase = passphrase
        self._kdf_limits: Limits = kdf_limits
        self._lock = FileLock(self.root / ".lock")
        self._swept = False

    def __repr__(self) -> str:
        return f"ConnectionStore({str(self.root)!r})"

    @property
    def connections_dir(self) -> Path:
        return self.root / "connections"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    def path_of(self, conn_id: str) -> Path:
        """The file of a connection; an id that is no file name is simply not found."""
        if not ID_PATTERN.fullmatch(conn_id):
            raise ConnectionNotFound(f"no connection with id {conn_id!r}")
        return self.connections_dir / f"{conn_id}.json"

    def keyring(self, *, create: bool = False) -> Keyring:
        """The store's keyring, loaded on first need (listing an empty store needs none).

        Re-read when another process has replaced the key file, e.g. by rotating.
        """
        if self._keyring is None:
            self._keyring = Keyring.load(self.root, passphrase=self._passphrase, create=create,
                                         limits=self._kdf_limits)
        else:
            self._keyring.refresh(self._passphrase)
        return self._keyring

    # ------------------------------------------------------------ reading

    @staticmethod
    def _raw(path: Path) -> bytes:
        """A connection file's bytes; refuses FIFOs, symlinks, directories and huge files."""
        try:
            return read_regular(path, max_bytes=MAX_CONNECTION_BYTES)
        except Unreadable as exc:
            raise Invalid(str(exc)) from None

    def _load(self, path: Path, raw: bytes,
              keyring: Keyring) -> tuple[ExchangeConnection, Sealed]:
        conn, sealed = decode(raw)
        if conn.id != path.stem:
            raise Invalid(f"the file name says {path.stem!r} but the file holds id {conn.id!r}")
        try:
            try:
                check_key(keyring, sealed)
            except UnknownKey:
                # a rotation elsewhere may have sealed it under a key added after our last look
                if not keyring.refresh(self._passphrase):
                    raise
                check_key(keyring, sealed)
        except UnknownKey as exc:
            exc.connection = conn
            raise
        return conn, sealed

    def _read(self, conn_id: str) -> tuple[ExchangeConnection, Sealed]:
        path = self.path_of(conn_id)
        try:
            raw = self._raw(path)
        except FileNotFoundError:
            raise ConnectionNotFound(f"no connection with id {conn_id!r}",
                                     path=str(path)) from None
        except OSError as exc:
            raise io_failure(exc, path, "reading") from None
        except Invalid as exc:
            raise StoreError(str(exc), path=str(path)) from None
        try:
            return self._load(path, raw, self.keyring())
        except UnknownKey as exc:
            raise KeyMismatch(str(exc), path=str(path)) from None
        except Invalid as exc:
            raise StoreError(str(exc), path=str(path)) from None

    def get(self, conn_id: str) -> ExchangeConnection:
        """The connection, secrets left sealed (``secrets`` is ``None``)."""
        return self._read(conn_id)[0]

    def __contains__(self, conn_id: object) -> bool:
        return isinstance(conn_id, str) and ID_PATTERN.fullmatch(conn_id) is not None \
            and self.path_of(conn_id).exists()

    def _files(self) -> list[Path]:
        try:
            names = os.listdir(self.connections_dir)
        except FileNotFoundError:
            return []
        return [self.connections_dir / name for name in sorted(names)
                if name.endswith(".json") and not name.startswith(".")]

    def list(self) -> LoadResult:
        """Every connection that loads, and a named problem for every file that does not.

        Nothing is decrypted: a key id is checked against the keyring, no more. Whatever
        is wrong with one file (crafted JSON, a FIFO, a huge file) is that file's problem;
        the others load.
        """
        loaded: list[ExchangeConnection] = []
        problems: list[Problem] = []
        files = self._files()
        keyring = self.keyring() if files else None
        for path in files:
            assert keyring is not None
            try:
                loaded.append(self._load(path, self._raw(path), keyring)[0])
            except UnknownKey as exc:
                problems.append(Problem(path, str(exc), connection=exc.connection))
            except Invalid as exc:
                problems.append(Problem(path, str(exc)))
            except FileNotFoundError:  # removed since the directory was read
                continue
            except OSError as exc:
                problems.append(Problem(path, f"cannot read the file: {exc.strerror}"))
            except Exception as exc:  # one file must never hide the others
                problems.append(Problem(path, f"cannot load the file ({type(exc).__name__})"))
        loaded.sort(key=lambda c: (c.name.casefold(), c.id))
        return LoadResult(tuple(loaded), tuple(problems))

    def find(self, ref: str) -> ExchangeConnection:
        """A connection by id, else by its name when exactly one connection has it.

        Distinguishes a connection that is missing (:class:`ConnectionNotFound`) from one
        that exists but is sealed under a key this keyring lacks (:class:`KeyMismatch`,
        naming the key and what to set), which a listing alone would show as missing.
        """
        if ID_PATTERN.fullmatch(ref) and os.path.lexists(self.path_of(ref)):
            return self.get(ref)
        listing = self.list()
        named = [conn for conn in listing if conn.name == ref]
        locked = [problem for problem in listing.problems
                  if problem.connection is not None and problem.connection.name == ref]
        if len(named) + len(locked) > 1:
            ids = ", ".join([c.id for c in named] + [p.id for p in locked])
            raise StoreError(f"{len(named) + len(locked)} connections are named {ref!r} "
                             f"({ids}); give the id")
        if named:
            return named[0]
        if locked:
            raise KeyMismatch(f"connection {ref!r} exists but is {locked[0].reason}",
                              path=str(locked[0].path))
        raise ConnectionNotFound(f"no connection with id or name {ref!r} in {self.root}")

    def credentials(self, conn_id: str) -> Credentials:
        """Decrypt a connection's secrets: the one place they leave the disk in clear."""
        conn, sealed = self._read(conn_id)
        try:
            return open_secrets(self.keyring(), conn.id, sealed)
        except Invalid as exc:
            raise StoreError(str(exc), path=str(self.path_of(conn_id))) from None

    # ------------------------------------------------------------ writing

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the store lock; an ``OSError`` anywhere inside becomes a ``StoreError``."""
        try:
            ensure_private_dir(self.root)
            ensure_private_dir(self.connections_dir)
            ensure_private_dir(self.logs_dir)
        except OSError as exc:
            raise io_failure(exc, exc.filename or self.root, "creating") from exc
        try:
            with self._lock.hold():
                if not self._swept:
                    remove_stale_temps(self.connections_dir)
                    remove_stale_temps(self.logs_dir)
                    remove_stale_temps(self.root, min_age_s=60)
                    self._swept = True
                yield
        except OSError as exc:
            raise io_failure(exc, exc.filename or self.root, "updating") from exc

    def _write(self, conn: ExchangeConnection, sealed: Sealed) -> None:
        atomic_write(self.path_of(conn.id), encode(conn, sealed), mode=0o600)

    def _seal(self, conn: ExchangeConnection, old: Sealed | None) -> Sealed:
        if conn.secrets is not None:
            return seal_secrets(self.keyring(create=True), conn.id, conn.secrets)
        if old is None:
            raise StoreError(f"connection {conn.id!r} has no credentials to store")
        return old

    def create(self, *, name: str, exchange: str, credentials: Credentials,
               api_type: str = "rest", connection_method: str = "api_key",
               is_testnet: bool = False, is_enabled: bool = True,
               api_capabilities: Iterable[str] = (), base_url: str | None = None,
               stream_base_url: str | None = None) -> ExchangeConnection:
        """Store a new connection under a fresh id and return it."""
        return self.add(ExchangeConnection(
            name=name, exchange=exchange, secrets=credentials, api_type=api_type,
            connection_method=connection_method, is_testnet=is_testnet,
            is_enabled=is_enabled, api_capabilities=tuple(api_capabilities),
            base_url=base_url, stream_base_url=stream_base_url))

    def add(self, conn: ExchangeConnection) -> ExchangeConnection:
        """Store a connection built by the caller; its id must be new."""
        if conn.secrets is None:
            raise StoreError("a new connection needs credentials")
        with self._writing():
            path = self.path_of(conn.id)
            if path.exists():
                raise StoreError(f"a connection with id {conn.id!r} exists", path=str(path))
            self._write(conn, self._seal(conn, None))
        return conn

    def update(self, conn_id: str,
               change: Callable[[ExchangeConnection], ExchangeConnection]) -> ExchangeConnection:
        """Read, change and write one connection under the lock; returns the stored result.

        ``change`` sees ``secrets=None`` and may set new credentials; leaving them ``None``
        keeps the sealed block as it is, without decrypting it. It runs under the
        store-wide lock, so it should be quick and must not call the store.
        """
        with self._writing():
            return self._update_locked(conn_id, change)

    def _update_locked(self, conn_id: str,
                       change: Callable[[ExchangeConnection], ExchangeConnection]
                       ) -> ExchangeConnection:
        current, sealed = self._read(conn_id)
        updated = change(current)
        if not isinstance(updated, ExchangeConnection):
            raise TypeError("the change must return an ExchangeConnection")
        if updated.id != current.id:
            raise StoreError("a connection's id cannot change", path=str(self.path_of(conn_id)))
        self._write(updated, self._seal(updated, sealed))
        return updated

    def set_enabled(self, conn_id: str, enabled: bool) -> ExchangeConnection:
        return self.update(conn_id, lambda c: attrs.evolve(c, is_enabled=enabled))

    def replace_credentials(self, conn_id: str, credentials: Credentials) -> ExchangeConnection:
        """Seal new credentials for a connection (a key rolled at the exchange)."""
        return self.update(conn_id, lambda c: attrs.evolve(c, secrets=credentials))

    def record_test(self, conn_id: str, status: ConnectionStatus | str,
                    balance: Mapping[str, Decimal | str] | None = None,
                    at: datetime | None = None, capabilities: Iterable[str] | None = None,
                    log_lines: Iterable[str] = (), *, base_url: str | None = None,
                    custom_host: bool = False) -> ExchangeConnection:
        """Write the outcome of a connection test in one atomic replace.

        ``base_url`` is the host the test ran against; ``custom_host`` says it was not the
        venue's own (a simulator, a proxy), so a listing can say so.

        ``log_lines`` replace the previous test's lines; they are scrubbed of the
        connection's secrets first, which is why a non-empty log decrypts them.
        ``capabilities=None`` keeps the ones already known.
        """
        moment = datetime.now(UTC) if at is None else at
        lines = tuple(log_lines)

        def change(conn: ExchangeConnection) -> ExchangeConnection:
            scrubbed = lines
            if lines:
                secrets = testlog.secret_values(self._open(conn.id))
                scrubbed = tuple(testlog.scrub(list(lines), secrets))
            return attrs.evolve(
                conn, last_test_status=ConnectionStatus(status), last_test_balance=balance,
                last_test_at=moment, last_test_log=scrubbed, last_test_base_url=base_url,
                last_test_custom_host=custom_host,
                api_capabilities=conn.api_capabilities if capabilities is None
                else tuple(capabilities))

        return self.update(conn_id, change)

    def _open(self, conn_id: str) -> Credentials:
        try:
            return self.credentials(conn_id)
        except StoreError as exc:
            raise StoreError(f"cannot scrub the log without the secrets: {exc}") from None

    def remove(self, conn_id: str) -> None:
        """Delete a connection and its log; works on a damaged file too, by id.

        The log goes first, and that is made durable before the connection file goes: a
        crash in between leaves a connection without a log (harmless, the next test
        starts one) rather than a log nothing refers to.
        """
        with self._writing():
            path = self.path_of(conn_id)
            log = self.logs_dir / f"{conn_id}.jsonl"
            try:
                log.unlink()
                fsync_dir(self.logs_dir)
            except FileNotFoundError:
                pass
            try:
                path.unlink()
            except FileNotFoundError:
                raise ConnectionNotFound(f"no connection with id {conn_id!r}",
                                         path=str(path)) from None
            fsync_dir(self.connections_dir)

    # ------------------------------------------------------------ test log

    def append_log(self, conn_id: str, entry: Mapping[str, Any]) -> None:
        """Append one entry to the connection's test log, scrubbed of its secrets."""
        with self._writing():
            secrets = testlog.secret_values(self._open(conn_id))
            testlog.append(self.logs_dir / f"{conn_id}.jsonl", testlog.scrub(entry, secrets),
                           max_entries=self.max_log_entries)

    def read_logs(self, conn_id: str, *, offset: int = 0,
                  limit: int = 50) -> builtins.list[dict[str, Any]]:
        """Log entries newest first: ``offset`` skips the newest ones, for paging."""
        return builtins.list(self.log_page(conn_id, offset=offset, limit=limit).entries)

    def log_page(self, conn_id: str, *, offset: int = 0, limit: int = 50) -> testlog.LogPage:
        """Like :meth:`read_logs`, with the number of damaged lines that were skipped."""
        if offset < 0 or limit < 0:
            raise ValueError("offset and limit must not be negative")
        if conn_id not in self:
            raise ConnectionNotFound(f"no connection with id {conn_id!r}")
        return testlog.read(self.logs_dir / f"{conn_id}.jsonl", offset=offset, limit=limit,
                            max_entries=self.max_log_entries)

    # ------------------------------------------------------------ key rotation

    def rotate_key(self, progress: Callable[[int, int], None] | None = None
                   ) -> RotationResult:
        """Re-encrypt every connection under a new key, resuming an interrupted rotation.

        The new key is saved in the keyring (beside the old) before any file is touched;
        each file is then replaced atomically; the old key is retired only when no file
        may still need it. Interrupted anywhere, the store stays readable, and calling
        this again finishes the job instead of starting another rotation.

        :param progress: called as ``progress(done, total)`` with the connection files
            handled so far: ``0`` before the first, then after each one (rewritten,
            already under the new key, or reported as a problem), so a command can draw
            a progress bar.
        """
        with self._writing():
            keyring = self.keyring(create=True)
            if not keyring.rotating:
                keyring.add_primary()
            rewritten: list[str] = []
            problems: list[Problem] = []
            blocking = False
            files = self._files()
            for done, path in enumerate(files):
                if progress is not None:
                    progress(done, len(files))  # the files before this one are done
                try:
                    conn, sealed = self._load(path, self._raw(path), keyring)
                    if sealed.key_id == keyring.primary_id:
                        continue
                    credentials = open_secrets(keyring, conn.id, sealed)
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    problems.append(Problem(path, f"cannot read the file: {exc.strerror}"))
                    blocking = True
                    continue
                except Invalid as exc:
                    problems.append(Problem(path, str(exc)))
                    blocking = blocking or not isinstance(exc, UnknownKey)
                    continue
                self._write(conn, seal_secrets(keyring, conn.id, credentials))
                rewritten.append(conn.id)
            if progress is not None:
                progress(len(files), len(files))
            retired = () if blocking else keyring.retire_old()
            return RotationResult(key_id=keyring.primary_id, rewritten=tuple(rewritten),
                                  retired=retired, problems=tuple(problems),
                                  complete=not blocking)
