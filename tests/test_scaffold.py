"""`venuekit new-plugin`: what it writes, what it refuses, and that the result really works.

The end-to-end tests generate a plugin into a temporary directory outside the repository
and install it (not editable) into a fresh virtual environment. ``--system-site-packages``
alone would expose the *base* interpreter's packages, not this environment's, so the
fresh environment gets a ``.pth`` file that adds this environment's site directories
after its own: core and its dependencies come from here, and nothing is installed into
the environment other tests run in. The installer is this environment's pip, or uv where
the environment has no pip (nox with the uv backend); with hatchling importable the build
runs with ``--no-build-isolation`` and needs no network. With the fresh interpreter the
tests run the generated project's own test suite, list it with ``python -m venuekit
plugins``, and drive it through ``venuekit.connect`` against its simulator.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import shutil
import site
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from venuekit import hookspecs
from venuekit.cli import main
from venuekit.scaffold import InvalidPluginName, generate, plugin_names, render
from venuekit.testing.example import plugin as example_plugin

NAME = "kitcheck"
TIMEOUT_S = 180


def hookspec_names() -> set[str]:
    """Every hook an exchange plugin may implement (host extension hooks are not theirs)."""
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    return {name for name, obj in vars(hookspecs).items()
            if hasattr(obj, marker)} - hookspecs.HOST_HOOKS


def hookimpl_names(source: str) -> set[str]:
    found = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Name) and d.id == "hookimpl" for d in node.decorator_list):
            found.add(node.name)
    return found


# ---------------------------------------------------------------- names and files


def test_names_are_derived_from_one_exchange_name() -> None:
    names = plugin_names("acme_pro")
    assert (names.name, names.package, names.dist) == (
        "acme_pro", "venuekit_acme_pro", "venuekit-acme-pro")
    assert (names.display, names.class_name, names.header, names.host) == (
        "Acme Pro", "AcmePro", "X-ACME-PRO", "acme-pro")


@pytest.mark.parametrize("bad", ["Acme", "acme-pro", "1acme", "_acme", "acme_", "acme__pro",
                                 "acmé", "", "a" * 25, "example"])
def test_invalid_names_are_refused(bad: str) -> None:
    with pytest.raises(InvalidPluginName):
        plugin_names(bad)


def test_generated_files_follow_the_plugin_layout() -> None:
    files = render("acme")
    assert sorted(files) == [
        "README.md", "pyproject.toml",
        "tests/conftest.py", "tests/test_conformance.py", "tests/test_entry_point.py",
        "tests/test_errors.py", "tests/test_hooks.py", "tests/test_parsing.py",
        "tests/test_signing.py", "tests/test_simulator.py",
        "venuekit_acme/__init__.py", "venuekit_acme/account.py", "venuekit_acme/endpoints.py",
        "venuekit_acme/errors.py",
        "venuekit_acme/plugin.py", "venuekit_acme/py.typed", "venuekit_acme/signing.py",
        "venuekit_acme/simulator.py",
    ]
    assert '[project.entry-points."venuekit.exchanges"]\nacme = "venuekit_acme.plugin"' \
        in files["pyproject.toml"]
    assert 'name = "venuekit-acme"' in files["pyproject.toml"]
    assert "class AcmeSimulator(Simulator):" in files["venuekit_acme/simulator.py"]
    for path, text in files.items():
        assert "${" not in text, path
        if path.endswith(".py"):
            compile(text, path, "exec")  # every generated module is valid Python
    # every module an author must adapt says where, with the same marker
    for module in ("plugin", "signing", "endpoints", "errors", "simulator"):
        assert "TODO(venue)" in files[f"venuekit_acme/{module}.py"], module


def test_generated_plugin_implements_every_hook() -> None:
    implemented = hookimpl_names(render("acme")["venuekit_acme/plugin.py"])
    # check_connection is left to the core's default test, as a new plugin should
    assert implemented == hookspec_names() - {"check_connection"}
    # and it is the example plugin's shape: the example implements a subset (no login)
    example = hookimpl_names(Path(example_plugin.__file__).read_text())
    assert example <= implemented


def test_vectors_are_computed_per_plugin() -> None:
    first = render("acme")["tests/test_signing.py"]
    second = render("zenith")["tests/test_signing.py"]
    digests = [line for line in first.splitlines() if line.startswith("GET_SIGNATURE")]
    assert len(digests) == 1 and len(digests[0].split('"')[1]) == 64
    assert digests[0] not in second  # another name, another secret, another digest


# ---------------------------------------------------------------- the command


def test_cli_writes_the_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out"
    assert main(["new-plugin", "acme", "--dir", str(target)]) == 0
    assert (target / "venuekit_acme" / "plugin.py").is_file()
    assert "pip install -e '.[test]'" in capsys.readouterr().out


def test_cli_default_directory_is_named_after_the_distribution(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new-plugin", "acme_pro"]) == 0
    assert (tmp_path / "venuekit-acme-pro" / "venuekit_acme_pro" / "plugin.py").is_file()


@pytest.mark.parametrize("bad", ["Acme", "acme-pro", "2fast", "example"])
def test_cli_bad_name_is_a_usage_error(bad: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new-plugin", bad, "--dir", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "Usage: venuekit new-plugin" in err and "invalid plugin name" in err
    assert not (tmp_path / "x").exists()


def test_cli_refuses_a_non_empty_directory(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["new-plugin", "acme", "--dir", str(tmp_path)]) == 1
    assert "--force" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_cli_force_rewrites_generated_files_and_keeps_others(tmp_path: Path) -> None:
    assert main(["new-plugin", "acme", "--dir", str(tmp_path)]) == 0
    plugin = tmp_path / "venuekit_acme" / "plugin.py"
    plugin.write_text("# edited\n")
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["new-plugin", "acme", "--dir", str(tmp_path)]) == 1
    assert plugin.read_text() == "# edited\n"
    assert main(["new-plugin", "acme", "--dir", str(tmp_path), "--force"]) == 0
    assert "@hookimpl" in plugin.read_text()
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_cli_accepts_an_empty_directory(tmp_path: Path) -> None:
    assert main(["new-plugin", "acme", "--dir", str(tmp_path)]) == 0


def test_cli_json_lists_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "new-plugin", "acme", "--dir", str(tmp_path / "p")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["distribution"] == "venuekit-acme" and out["package"] == "venuekit_acme"
    assert "venuekit_acme/simulator.py" in out["files"]


# ---------------------------------------------------------------- installed and run


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("VENUEKIT_PLUGINS", "VENUEKIT_DISABLE_PLUGIN_AUTOLOAD",
                        "PYTEST_ADDOPTS", "PYTHONPATH")}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT_S, check=False)


def _fresh_venv(root: Path) -> Path:
    """A new environment that sees this one's packages after its own; returns its python."""
    # no pip of its own: the installer comes from this environment (see _installer)
    made = _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                 str(root)])
    assert made.returncode == 0, made.stderr
    python = root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = _run([str(python), "-c",
                    "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    assert purelib.returncode == 0, purelib.stderr
    parents = [p for p in site.getsitepackages() if Path(p).is_dir()]
    line = "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in parents)
    Path(purelib.stdout.strip(), "_venuekit_parent_env.pth").write_text(line + "\n")
    return python


def _installer(python: Path) -> list[str]:
    """The command that installs into ``python``'s environment, without dependencies."""
    if importlib.util.find_spec("pip") is not None:  # importable there too, via the .pth
        command = [str(python), "-m", "pip", "install", "-q", "--no-deps",
                   "--disable-pip-version-check"]
    elif (uv := shutil.which("uv")) is not None:
        command = [uv, "pip", "install", "-q", "--python", str(python), "--no-deps"]
    else:
        pytest.fail("neither pip nor uv is available to install the generated plugin")
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-build-isolation")  # build with hatchling from here: offline
    return command


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(python of the fresh environment, generated project) with the plugin installed."""
    base = tmp_path_factory.mktemp("scaffold")
    project = generate(NAME, base / f"venuekit-{NAME}").root
    python = _fresh_venv(base / "venv")
    done = _run([*_installer(python), str(project)])
    assert done.returncode == 0, done.stdout + done.stderr
    yield python, project


def test_generated_project_passes_its_own_tests(installed: tuple[Path, Path]) -> None:
    python, project = installed
    # -P: the installed distribution is imported, not the source tree in the working directory
    done = _run([str(python), "-P", "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"],
                cwd=project)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in summary, summary
    # the only skips allowed: the streams a new plugin declares absent (each skip comes
    # after the test asserted NotSupported with no socket opened)
    skips = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert all("declares no" in line for line in skips), skips
    assert int(summary.split()[0]) >= 40, summary  # conformance suite included


def test_venuekit_plugins_lists_it(installed: tuple[Path, Path]) -> None:
    python, _ = installed
    done = _run([str(python), "-m", "venuekit", "--json", "plugins"])
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    row = rows[NAME]
    assert row["loaded"] is True and row["error"] is None
    assert row["distribution"] == f"venuekit-{NAME}" and row["version"] == "0.1.0"
    assert set(row["hooks"]) == hookspec_names() - {"check_connection"}
    verbose = _run([str(python), "-m", "venuekit", "plugins", "--verbose"])
    assert f"{NAME}  venuekit-{NAME} 0.1.0" in verbose.stdout
    assert f"module: venuekit_{NAME}.plugin" in verbose.stdout


CONNECT_SCRIPT = """
import asyncio, json
import venuekit
from venuekit import OrderParams
from venuekit_kitcheck.simulator import KitcheckSimulator

async def main():
    async with KitcheckSimulator() as sim:
        async with venuekit.connect("kitcheck", sim.credentials, base_url=sim.api_url) as conn:
            report = await conn.check_connection()
            order = await conn.place_order(OrderParams(
                symbol="BTC/USDT:USDT", side="buy", type="limit", quantity="0.01",
                price="40000"))
            done = await conn.cancel_order(order.symbol, order_id=order.order_id)
            print(json.dumps({"ok": report.ok, "steps": [s.name for s in report.steps],
                              "distribution": conn.plugin.distribution,
                              "status": done.status.value, "orders": len(sim.state.orders)}))

asyncio.run(main())
"""


def test_venuekit_connect_uses_it(installed: tuple[Path, Path]) -> None:
    python, _ = installed
    done = _run([str(python), "-P", "-c", CONNECT_SCRIPT])
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result == {"ok": True, "steps": ["server time", "balance", "key permissions"],
                      "distribution": f"venuekit-{NAME}", "status": "canceled", "orders": 1}
