"""A throwaway redis-server for tests and benchmarks of the Redis limiter backend.

:class:`RedisServer` runs its own ``redis-server`` on a free loopback port in a directory
you give it, without persistence, and can be killed (as a crash would) and started again
on the same port. :func:`redis_binary` says where the binary is, or None.
"""

from __future__ import annotations

import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

__all__ = ["RedisCluster", "RedisServer", "free_port", "redis_binary"]


def redis_binary() -> str | None:
    return shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One redis-server process on ``127.0.0.1:port``; ``start`` waits until it answers."""

    def __init__(self, directory: Path, port: int | None = None, *,
                 extra: tuple[str, ...] = ()) -> None:
        binary = redis_binary()
        if binary is None:
            raise FileNotFoundError("redis-server is not installed")
        self.binary = binary
        self.directory = directory
        self.port = port or free_port()
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.process is None, "already running"
        self.process = subprocess.Popen(  # noqa: S603 - our own argv, no shell
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.directory),
             "--logfile", str(self.directory / "redis.log"), "--daemonize", "no",
             *self.extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10.0
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.directory / "redis.log")
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}:\n{tail}")
            time.sleep(0.01)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """Die at once, as a crash would (SIGKILL): nothing is saved, the port frees."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def pause(self) -> None:
        """Stall it (SIGSTOP): connections are still accepted, nothing is answered."""
        assert self.process is not None, "not running"
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Undo :meth:`pause` (SIGCONT)."""
        assert self.process is not None, "not running"
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # a paused server cannot act on TERM
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            self.process = None


class RedisCluster:
    """Three masters on loopback, no replicas: the smallest Redis Cluster there is.

    Each node runs in its own subdirectory with ``--cluster-enabled yes``; ``start`` joins
    them with ``redis-cli --cluster create`` and waits until the cluster says ``ok``.
    ``url`` is the ``redis+cluster://`` URL of the first node.
    """

    def __init__(self, directory: Path, nodes: int = 3) -> None:
        self.servers = []
        for index in range(nodes):
            where = directory / f"node{index}"
            where.mkdir(parents=True, exist_ok=True)
            self.servers.append(RedisServer(where, _cluster_port(), extra=(
                "--cluster-enabled", "yes", "--cluster-config-file", str(where / "nodes.conf"),
                "--cluster-node-timeout", "2000")))

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.servers[0].port}"

    def start(self) -> None:
        cli = shutil.which("redis-cli")
        if cli is None:
            raise FileNotFoundError("redis-cli is not installed")
        try:
            for server in self.servers:
                server.start()
            subprocess.run(  # noqa: S603 - our own argv, no shell
                [cli, "--cluster", "create",
                 *[f"127.0.0.1:{server.port}" for server in self.servers],
                 "--cluster-replicas", "0", "--cluster-yes"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)
            deadline = time.monotonic() + 20.0
            while not all(self._ok(cli, server.port) for server in self.servers):
                if time.monotonic() > deadline:
                    raise RuntimeError("the Redis Cluster did not reach state ok")
                time.sleep(0.05)
        except BaseException:
            self.stop()
            raise

    @staticmethod
    def _ok(cli: str, port: int) -> bool:
        info = subprocess.run(  # noqa: S603 - our own argv, no shell
            [cli, "-p", str(port), "cluster", "info"], capture_output=True, text=True,
            timeout=5, check=False).stdout
        return "cluster_state:ok" in info

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def _cluster_port() -> int:
    """A free port whose cluster bus port (10,000 higher) is free too."""
    for _ in range(200):
        port = 20000 + secrets.randbelow(35000)
        try:
            for candidate in (port, port + 10000):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a Redis Cluster node")
