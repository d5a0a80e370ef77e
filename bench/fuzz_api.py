"""Fuzz the HTTP API with schemathesis, reading its own OpenAPI document, on loopback.

Starts the example venue's simulator and the API (a temporary store, the example exchange
registered, every test pointed at the simulator), then runs ``schemathesis run`` against
``/api/openapi.json`` with every check (5xx, status codes, response schemas, content
types, negative data rejected, unsupported methods, auth ignored, stateful links). Exits
non-zero if schemathesis found anything. Prints the schemathesis version, the number of
test cases and the number of 5xx responses.

Run: ``python bench/fuzz_api.py [--max-examples N] [--seed N] [--workers N]``;
``nox -s api`` runs it. Needs ``pip install schemathesis``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from aiohttp import web
from venuekit.api import create_app
from venuekit.models import Credentials
from venuekit.registry import Registry
from venuekit.store import ConnectionStore
from venuekit.testing.example import plugin as example_plugin
from venuekit.testing.example.simulator import ExampleSimulator

#: The body limit is on bytes, which JSON Schema cannot state: a body that fits the schema
#: can still be over it once JSON-escaped (an astral character is 12 bytes as ``\\uXXXX``
#: pairs), and the server rightly answers 413, which it documents on every body operation.
#: So 413 counts as a proper answer for valid and invalid data alike. 5xx never does.
CONFIG = """\
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422",
                     "428", "429"]

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "413"]
"""


def schemathesis_command() -> list[str]:
    beside = Path(sys.executable).with_name("schemathesis")
    found = str(beside) if beside.exists() else shutil.which("schemathesis")
    if found is None:
        raise SystemExit("schemathesis is not installed: pip install schemathesis")
    return [found]


def summarize(ndjson: Path) -> tuple[int, int, dict[int, int]]:
    """(test cases, 5xx responses, responses by status) from the NDJSON event stream."""
    cases = server_errors = 0
    statuses: dict[int, int] = {}

    def walk(node: Any) -> None:
        nonlocal cases, server_errors
        if isinstance(node, dict):
            response = node.get("response")
            if isinstance(response, dict) and isinstance(response.get("status_code"), int):
                code = response["status_code"]
                cases += 1
                statuses[code] = statuses.get(code, 0) + 1
                server_errors += code >= 500
            for key, value in node.items():
                if key != "response":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for line in ndjson.read_text().splitlines():
        if line.strip():
            walk(json.loads(line))
    return cases, server_errors, statuses


async def fuzz(args: argparse.Namespace) -> int:
    # schemathesis probes with a NUL byte in a header; aiohttp's parser answers 400 and logs
    # a traceback, which is noise here (a 400 before any handler is not a finding)
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    token = secrets.token_urlsafe(24)
    workdir = Path(tempfile.mkdtemp(prefix="venuekit-fuzz-"))
    store = ConnectionStore(workdir / "home")
    sim = ExampleSimulator()
    await sim.start()
    # one connection that passes its test, so the stateful phase has a real one too
    store.create(name="seeded", exchange="example", credentials=sim.credentials)
    store.create(name="wrong key", exchange="example",
                 credentials=Credentials(api_key="fuzz-key-0000-1111", api_secret="nope" * 4))
    registry = Registry(extra={"example": example_plugin}, autoload=False)
    app = create_app(store, token=token, registry=registry,
                     base_url_for=lambda conn: sim.base_url, test_timeout_s=5.0)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    base = f"http://127.0.0.1:{port}"
    report_dir = workdir / "report"
    config = workdir / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        *schemathesis_command(), "--config-file", str(config),
        "run", f"{base}/api/openapi.json", "--url", base,
        "--header", f"Authorization: Bearer {token}",
        "--checks", "all", "--mode", "all",
        "--max-examples", str(args.max_examples), "--seed", str(args.seed),
        "--workers", str(args.workers), "--request-timeout", "15",
        "--report", "ndjson", "--report-dir", str(report_dir),
        "--suppress-health-check", "too_slow", "--no-color",
    ]
    print(f"schemathesis {metadata.version('schemathesis')} against {base} "
          f"(seed {args.seed}, {args.max_examples} examples per operation)", flush=True)
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    # run in the temp directory: schemathesis keeps a crash cache in its working directory
    proc = await asyncio.create_subprocess_exec(*command, env=env, cwd=workdir)
    try:
        code = await proc.wait()
    finally:
        await runner.cleanup()
        await sim.stop()
    reports = sorted(report_dir.glob("*.ndjson"))
    if reports:
        cases, server_errors, statuses = summarize(reports[-1])
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
        print(f"\nfuzz: {cases} test cases, {server_errors} 5xx responses ({shown})")
        if server_errors:
            code = code or 1
    else:
        print("fuzz: no report written", file=sys.stderr)
        code = code or 1
    if code == 0 or not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"fuzz: kept {workdir} for inspection")
    print(f"fuzz: {'PASS' if code == 0 else 'FAIL'} (schemathesis exit {code})")
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=60,
                        help="test cases per operation and phase (default 60)")
    parser.add_argument("--seed", type=int, default=20260101)
    # one worker: CPython 3.11 ast.parse is not thread-safe, and hypothesis calls it
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temp store on failure")
    return asyncio.run(fuzz(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
