"""Writer processes for the store's multi-process tests.

``serve ROOT``: a fork server. Starting a fresh interpreter costs ~100 ms, which would make
hundreds of kill rounds slow, so this process imports the store once and, for each
``fork`` read on stdin, forks a child that updates every connection in a loop until it is
killed; it prints the child's pid. ``reap PID`` waits for that child and prints how it
ended (the test expects SIGKILL: any other ending means the writer itself failed).

``incr ROOT ID N``: waits for ``go`` on stdin, then increments the integer held in the
connection's name N times through ``update`` and prints every value it wrote.
"""

from __future__ import annotations

import os
import random
import sys
import traceback
from pathlib import Path

import attrs
from venuekit.models import Credentials
from venuekit.store import ConnectionStore, ExchangeConnection


def generation(conn: ExchangeConnection) -> int:
    return int(conn.name.removeprefix("gen-"))


def next_state(conn: ExchangeConnection) -> ExchangeConnection:
    """Every field the test checks moves together, so a mixed file would show."""
    gen = generation(conn) + 1
    return attrs.evolve(
        conn, name=f"gen-{gen}", last_test_log=(f"gen-{gen}",),
        last_test_balance={"GEN": str(gen)}, api_capabilities=(f"gen-{gen}",),
        secrets=Credentials(api_key=f"key-for-{conn.id}", api_secret=f"secret-{gen}"))


def write_forever(root: Path) -> None:
    store = ConnectionStore(root)
    rng = random.Random(os.getpid())
    ids = [conn.id for conn in store.list().connections]
    while True:
        for conn_id in ids:
            updated = store.update(conn_id, next_state)
            roll = rng.random()
            if roll < 0.3:
                store.append_log(conn_id, {"gen": generation(updated)})
            elif roll < 0.33:
                store.rotate_key()


def serve(root: Path) -> None:
    print("ready", flush=True)
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        if command == "fork":
            pid = os.fork()
            if pid == 0:
                try:
                    write_forever(root)
                except BaseException:
                    traceback.print_exc()
                finally:
                    os._exit(3)  # only a kill may end a writer
            print(pid, flush=True)
        elif command == "reap":
            _, status = os.waitpid(int(arg), 0)
            print(os.WTERMSIG(status) if os.WIFSIGNALED(status) else -os.WEXITSTATUS(status),
                  flush=True)
        else:
            return


def incr(root: Path, conn_id: str, count: int) -> None:
    store = ConnectionStore(root)
    print("ready", flush=True)
    sys.stdin.readline()
    for _ in range(count):
        updated = store.update(conn_id, lambda c: attrs.evolve(c, name=str(int(c.name) + 1)))
        print(updated.name)
    sys.stdout.flush()


if __name__ == "__main__":
    mode, root = sys.argv[1], Path(sys.argv[2])
    if mode == "serve":
        serve(root)
    else:
        incr(root, sys.argv[3], int(sys.argv[4]))
