"""Shared fixtures: every test gets its own archive folder (never the user's)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_692a169526db16f5.txt"
SOTU = ROOT.parent / "shared" / "corpora" / "sotu"


@pytest.fixture(autouse=True)
def archive_dir(tmp_path, monkeypatch) -> Path:
    """Point BRIEF_INDEX at a fresh temp dir (not yet created: the first write makes it)."""
    d = tmp_path / "archive"
    monkeypatch.setenv("BRIEF_INDEX", str(d))
    monkeypatch.delenv("BRIEF_LOCK_TIMEOUT", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # never the user's config file
    monkeypatch.setenv("BRIEF_SERVER_DIR", str(tmp_path / "no-server"))  # never a server of the user's
    for var in ("BRIEF_CONFIG", "BRIEF_PAGER", "BRIEF_DATE_ORDER", "BRIEF_CITE_STYLE", "FORCE_COLOR"):
        monkeypatch.delenv(var, raising=False)
    return d


class Result:
    def __init__(self, exit_code: int, stdout: str, stderr: str):
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr

    @property
    def json(self):
        return json.loads(self.stdout)

    def __repr__(self):
        return f"Result({self.exit_code}, stdout={self.stdout[:2000]!r}, stderr={self.stderr[:2000]!r})"


@pytest.fixture
def cli():
    """Run `brief ARGS` in-process through Typer's CliRunner; returns exit code, stdout, stderr."""
    from brieftool.cli import app

    runner = CliRunner()

    def run(*args, input=None) -> Result:
        r = runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
        return Result(r.exit_code, r.stdout, r.stderr)

    return run


@pytest.fixture
def brief_exe():
    """Run the real `brief` entry point in a subprocess."""
    exe = shutil.which("brief")

    def run(*args, input=None, env=None, timeout=120) -> Result:
        cmd = [exe] if exe else [sys.executable, "-m", "brieftool"]
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.run(cmd + [str(a) for a in args], input=input, capture_output=True, text=True,
                           env=e, timeout=timeout)
        return Result(p.returncode, p.stdout, p.stderr)

    return run


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# -- a real OpenSearch node for the tests marked `opensearch` -----------------------------------------
def _opensearch_missing() -> str | None:
    try:
        import opensearchpy  # noqa: F401
    except ImportError:
        return "opensearch-py is not installed (pip install -e '.[opensearch]')"
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed: OpenSearch cannot be fetched and run"
    return None


OPENSEARCH_HOME = ROOT / ".opensearch" / "home"  # the unzipped server, shared by the test clusters


_STARTING: dict[str, subprocess.Popen] = {}  # DIR -> a `scripts/opensearch start` running in the background


def _need_opensearch() -> None:
    missing = _opensearch_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the OpenSearch tests, but {missing}")
        pytest.skip(missing)


def _begin_cluster(nodes: int, d: str) -> subprocess.Popen:
    script = ROOT / "scripts" / "opensearch"
    return subprocess.Popen([sys.executable, str(script), "start", "--nodes", str(nodes), "--dir", d,
                             "--home", str(OPENSEARCH_HOME)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)


def _finish_cluster(p: subprocess.Popen, nodes: int, d: str) -> str:
    """Wait for a start: the first node's URL (fails the test when the cluster did not start)."""
    try:
        out, err = p.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    if p.returncode:
        _stop_cluster(d)
        pytest.fail(f"scripts/opensearch start --nodes {nodes} failed: {err.strip()[-1000:]}")
    return out.strip().splitlines()[-1]


def _stop_cluster(d: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "opensearch"), "stop", "--dir", d], capture_output=True,
                   timeout=120)
    shutil.rmtree(Path(d) / "run", ignore_errors=True)
    with contextlib.suppress(OSError):
        os.rmdir(d)


def _cluster3_dir() -> str:
    return str(ROOT / ".opensearch" / f"test3-{os.getpid()}")


@pytest.fixture(scope="session")
def opensearch_url(request):
    """One OpenSearch node for the whole session (scripts/opensearch start), stopped at the end.
    Skipped with the reason when Java, Maven or opensearch-py is missing, except under CI=true.
    When the session also runs a test on three nodes, their start begins right after this one,
    in the background (the 3-node cluster takes 30-50 s to turn green)."""
    _need_opensearch()
    d = os.environ.get("BRIEF_TEST_OPENSEARCH_DIR") or str(ROOT / ".opensearch" / f"test-{os.getpid()}")
    url = _finish_cluster(_begin_cluster(1, d), 1, d)
    if any("opensearch_cluster" in getattr(item, "fixturenames", ()) for item in request.session.items):
        _STARTING.setdefault(_cluster3_dir(), _begin_cluster(3, _cluster3_dir()))
    yield url
    _stop_cluster(d)
    for d3, p in list(_STARTING.items()):  # begun but never used (the session stopped early)
        p.communicate()
        _stop_cluster(d3)


@pytest.fixture(scope="session")
def opensearch_cluster():
    """Three OpenSearch nodes (for the failover test), started once: (first node's URL, DIR)."""
    _need_opensearch()
    d = _cluster3_dir()
    p = _STARTING.pop(d, None) or _begin_cluster(3, d)
    url = _finish_cluster(p, 3, d)
    yield url, d
    _stop_cluster(d)


@pytest.fixture
def os_index(opensearch_url, request):
    """A fresh index name on the session's node: opensearch://127.0.0.1:PORT/test-…"""
    import uuid

    return "opensearch://" + opensearch_url.split("://", 1)[1] + f"/t-{uuid.uuid4().hex[:10]}"
