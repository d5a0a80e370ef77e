"""Connection store benchmark: what the store's safety costs over bare JSON files.

With N stored connections (1,000 by default), times listing them all and updating one test
status, each beside the same job done with plain ``json.load`` / ``json.dump`` on the same
files in the same run, and prints the ratio. Run: ``python bench/bench_store.py [-n N]``.

The plain update neither locks nor syncs, so its ratio is mostly the price of durability
(two fsyncs); the extra "plain, durable" row does the same temp-file, fsync and rename by
hand to show what is left once that is paid for.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from venuekit.models import Credentials
from venuekit.store import ConnectionStore


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``repeat`` runs: robust to the odd slow fsync on a shared disk."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def plain_list(directory: Path) -> list[object]:
    out = []
    for name in sorted(os.listdir(directory)):
        with open(directory / name, "rb") as handle:
            out.append(json.load(handle))
    return out


def plain_update(path: Path) -> None:
    with path.open("rb") as handle:
        data = json.load(handle)
    data["last_test_status"] = "ok"
    data["last_test_at"] = datetime.now(UTC).isoformat()
    with path.open("w") as handle:
        json.dump(data, handle, indent=2)


def plain_durable_update(path: Path) -> None:
    with path.open("rb") as handle:
        data = json.load(handle)
    data["last_test_status"] = "ok"
    data["last_test_at"] = datetime.now(UTC).isoformat()
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w") as handle:
        json.dump(data, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7, help="runs of each list timing")
    args = parser.parse_args()
    os.environ.pop("VENUEKIT_MASTER_KEY", None)
    os.environ.pop("VENUEKIT_PASSPHRASE", None)

    with tempfile.TemporaryDirectory(prefix="venuekit-bench-") as tmp:
        root = Path(tmp) / "home"
        store = ConnectionStore(root)
        start = time.perf_counter()
        ids = [store.create(name=f"conn-{n:04d}", exchange=("binance", "okx", "bybit")[n % 3],
                            credentials=Credentials(api_key=f"key-{n:06d}-abcdefghij",
                                                    api_secret=f"secret-{n:06d}")).id
               for n in range(args.count)]
        created = time.perf_counter() - start
        target = ids[len(ids) // 2]
        path = store.path_of(target)
        copy = Path(tmp) / "plain"
        copy.mkdir()
        plain_path = copy / path.name
        plain_path.write_bytes(path.read_bytes())
        balance = {"BTC": Decimal("0.5"), "USDT": Decimal("1200.25")}
        lines = ["server time ok (12 ms)", "balance ok", "permissions: read, trade"]

        assert len(store.list()) == args.count
        rows: list[tuple[str, float, float | None]] = []
        plain = timed(lambda: plain_list(store.connections_dir), args.repeat)
        rows.append((f"list {args.count} connections", timed(store.list, args.repeat), plain))
        plain_one = timed(lambda: plain_list(copy), 200)
        rows.append(("get one connection", timed(lambda: store.get(target), 200), plain_one))
        plain_up = timed(lambda: plain_update(plain_path), 200)
        rows.append(("update one test status (record_test)",
                     timed(lambda: store.record_test(target, "ok", balance, None, ["spot"],
                                                     lines), 200), plain_up))
        rows.append(("update one field (set_enabled)",
                     timed(lambda: store.set_enabled(target, True), 200), plain_up))
        rows.append(("  plain, durable (tmp + fsync + rename)",
                     timed(lambda: plain_durable_update(plain_path), 200), plain_up))
        rows.append(("decrypt one connection's credentials",
                     timed(lambda: store.credentials(target), 200), None))

    print(f"venuekit store benchmark: {args.count} connections "
          f"(created in {created:.2f} s, {created / args.count * 1000:.2f} ms each)")
    print(f"{'operation':<42} {'store ms':>10} {'plain json ms':>14} {'ratio':>7}")
    for label, ours, base in rows:
        ratio = f"{ours / base:6.1f}x" if base else "      -"
        base_text = f"{base * 1000:14.3f}" if base else f"{'-':>14}"
        print(f"{label:<42} {ours * 1000:10.3f} {base_text} {ratio}")


if __name__ == "__main__":
    main()
