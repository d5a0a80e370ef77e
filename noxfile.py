"""Sessions for venuekit. Plugins are discovered from the tree, never listed by hand.

`nox` runs the default sessions (what CI runs); `nox -s bench`, `nox -s demo` and
`nox -s api` are on demand. `nox -s "plugins(binance)"` runs one plugin alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = False
nox.options.error_on_missing_interpreters = False

ROOT = Path(__file__).parent
PLUGINS = sorted(
    path.parent.name
    for path in ROOT.glob("plugins/*/pyproject.toml")
    if not path.parent.name.startswith("_")
)
# No upper bounds: tests run on the releases users get (aiohttp 3.14 carries a security
# fix). aioresponses 0.7.9 cannot build aiohttp 3.14 responses on its own; the tests use it
# through venuekit.testing.aioresponses_compat until upstream releases the fix.
# pytest-timeout turns a hung test into a failure naming it, instead of a CI run that
# never ends. hatchling lets the scaffold test build the generated plugin offline
# (--no-build-isolation) instead of fetching a build backend mid-test.
TEST_DEPS = ["pytest>=8", "pytest-aiohttp>=1.0", "aioresponses>=0.7.6", "pytest-timeout>=2.3",
             "hatchling>=1.21"]
#: What a generated plugin's tests must pass on at its newest release (see `scaffold`).
SCAFFOLD_NEWEST = ("aiohttp", "aioresponses", "pytest", "pytest-asyncio")


def run_pytest(session: nox.Session, *args: str) -> None:
    """One way to run pytest everywhere: strict, quiet, forwarding posargs."""
    session.run("pytest", "-q", "--timeout=300", *args, *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Core tests against the sample exchange and its simulator (no exchange plugin installed)."""
    session.install("-e", ".[redis]", *TEST_DEPS)
    run_pytest(session, "tests", "--ignore=tests/contract", "--ignore=tests/browser")


@nox.session
@nox.parametrize("plugin", PLUGINS, ids=PLUGINS)
def plugins(session: nox.Session, plugin: str) -> None:
    """One plugin's own suite with only the core and that plugin installed."""
    session.install("-e", ".", "-e", f"plugins/{plugin}", *TEST_DEPS)
    session.chdir(f"plugins/{plugin}")
    run_pytest(session)


@nox.session
def contract(session: nox.Session) -> None:
    """All plugins installed together: discovery, isolation, and the demo end to end."""
    session.install("-e", ".", *[f"plugins/{p}" for p in PLUGINS], *TEST_DEPS)
    run_pytest(session, "tests/contract")


@nox.session
def scaffold(session: nox.Session) -> None:
    """`venuekit new-plugin`, then exactly its printed steps in a fresh venv, newest releases."""
    session.install("-e", ".")
    work = Path(session.create_tmp()).resolve() / "scaffold"
    shutil.rmtree(work, ignore_errors=True)
    project = work / "venuekit-acmex"
    session.run("venuekit", "new-plugin", "acmex", "--dir", str(project))
    # a plain venv with its own pip, nothing inherited: what a plugin author starts from
    session.run("python", "-m", "venv", str(work / "venv"))
    scripts = work / "venv" / ("Scripts" if os.name == "nt" else "bin")
    pip = [str(scripts / "python"), "-m", "pip", "--disable-pip-version-check"]
    # the core of this checkout stands in for the released venuekit the plugin requires
    session.run(*pip, "install", "-q", str(ROOT), external=True)
    session.chdir(project)
    session.run(*pip, "install", "-q", "-e", ".[test]", external=True)  # printed step 1
    # the proof is only as good as the releases installed: none of these may be outdated
    outdated = session.run(*pip, "list", "--outdated", "--format=json", external=True,
                           silent=True, stderr=subprocess.DEVNULL)
    behind = sorted(row["name"] for row in json.loads(str(outdated))
                    if row["name"].lower() in SCAFFOLD_NEWEST)
    if behind:
        session.error(f"not the newest release: {', '.join(behind)}")
    session.run(str(scripts / "pytest"), *session.posargs, external=True)  # printed step 2


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the whole tree."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".", *session.posargs)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on core and every plugin."""
    session.install("mypy>=1.10", "-e", ".[redis]", *[f"plugins/{p}" for p in PLUGINS],
                    *TEST_DEPS)
    session.run("mypy", "--strict", "core/venuekit",
                *[f"plugins/{p}/venuekit_{p}" for p in PLUGINS], *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks; every figure is a ratio against a baseline measured in the same run."""
    # ccxt only here: bench_core compares against it; it is never a dependency of venuekit
    session.install("-e", ".[redis]", *[f"plugins/{p}" for p in PLUGINS], "ccxt>=4.5.90")
    for script in sorted(ROOT.glob("bench/bench_*.py")):
        session.run("python", str(script.relative_to(ROOT)), *session.posargs)


@nox.session(default=False)
def instructions(session: nox.Session) -> None:
    """Client instructions per request under valgrind: the hot-path ratios without noise."""
    if shutil.which("valgrind") is None:
        session.error("needs valgrind on the PATH (apt-get install valgrind)")
    session.install("-e", ".[redis]", "plugins/binance", "ccxt>=4.5.90")
    session.run("python", "bench/instructions.py", *session.posargs)


@nox.session(default=False)
def demo(session: nox.Session) -> None:
    """`venuekit demo` with every plugin installed."""
    session.install(".", *[f"plugins/{p}" for p in PLUGINS])
    session.run("venuekit", "demo", *session.posargs)


@nox.session(default=False)
def api(session: nox.Session) -> None:
    """Fuzz the HTTP API from its own OpenAPI document (schemathesis) on loopback."""
    session.install("-e", ".", "schemathesis>=4.30,<5")
    session.run("python", "bench/fuzz_api.py", *session.posargs)


@nox.session(default=False)
def build(session: nox.Session) -> None:
    """Wheels and sdists of core and every plugin: twine check, fresh-venv install, demo."""
    import shutil
    import sys

    session.install("build>=1.2", "twine>=5")
    tmp = Path(session.create_tmp()).resolve()
    dist = tmp / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    for project in [ROOT, *(ROOT / "plugins" / p for p in PLUGINS)]:
        session.run("python", "-m", "build", "--outdir", str(dist), str(project))
    built = sorted(str(path) for path in dist.iterdir())
    session.run("twine", "check", "--strict", *built)
    # a virtual environment of its own, outside the checkout, so nothing can come from the
    # source tree: the wheels alone must make a working installation
    fresh = tmp / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    session.run(sys.executable, "-m", "venv", str(fresh), external=True)
    bin_dir = fresh / ("Scripts" if sys.platform == "win32" else "bin")
    session.run(str(bin_dir / "python"), "-m", "pip", "install", "-q",
                *[path for path in built if path.endswith(".whl")], external=True)
    with session.chdir(tmp):
        session.run(str(bin_dir / "venuekit"), "--version", external=True)
        session.run(str(bin_dir / "venuekit"), "demo", *session.posargs, external=True,
                    env={"VENUEKIT_HOME": str(tmp / "home")})


@nox.session
def console(session: nox.Session) -> None:
    """The web console in a real browser: the system's chromium driven by Playwright."""
    # Debian's /usr/bin/chromium (.ci/run installs it); Playwright's own browser download
    # is never used, so `playwright install` is never run. Every plugin is installed so
    # the sandbox registers one connection per simulator, as `venuekit sandbox` would.
    session.install("-e", ".", *[f"plugins/{p}" for p in PLUGINS], "playwright>=1.45",
                    *TEST_DEPS)
    run_pytest(session, "tests/test_console.py", "tests/browser")
