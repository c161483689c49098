"""`brief server`: read commands run by a child of a running server behave exactly as `brief`
run alone (same stdout, stderr, exit status; environment, folder, stdin and Ctrl-C are the
client's), and anything wrong with the server makes the command run without it.

Real processes throughout: a real server started by `brief server start`, real `brief`
clients, the archive in a temp dir."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

BRIEFS = {
    "sanctions.txt": "Title: Sanctions relief and its limits\nAuthor: Jane Park\nDate: 2021-03-04\nTags: North Korea, Sanctions\n\n"
                     "Sanctions relief was offered in exchange for a freeze. The freeze did not hold.\n",
    "trade.txt": "Title: Trade policy after the pandemic\nAuthor: Omar Diaz\nDate: 2022-07-19\nTags: Trade\n\n"
                 "Trade policy turned to supply chains; tariffs stayed. Sanctions were not used.\n",
    "energy.txt": "Title: Energy security in Europe\nAuthor: Jane Park\nDate: 2023-01-30\nTags: Energy\n\n"
                  "Gas storage, LNG terminals and the price cap: energy security without Russian gas.\n",
    "odd.txt": "Title: [bold]Markup[/bold] \x1b[31mred\x1b[0m and =1+1\nAuthor: Zoë Ångström\nDate: 2020-12-01\n\n"
               "A brief whose title holds Rich markup, a terminal escape and a formula; accents too.\n",
}


def _exe() -> list[str]:
    beside = Path(sys.executable).with_name("brief")  # this venv's, also when it is not on PATH
    exe = shutil.which("brief") or (str(beside) if beside.exists() else None)
    return [exe] if exe else [sys.executable, "-m", "brieftool"]


@pytest.fixture
def server_dir(monkeypatch):
    d = tempfile.mkdtemp(prefix="bsrv-", dir="/tmp")  # short: a Unix socket path has ~100 bytes
    monkeypatch.setenv("BRIEF_SERVER_DIR", d)
    yield d
    subprocess.run(_exe() + ["server", "stop"], capture_output=True, timeout=60)
    shutil.rmtree(d, ignore_errors=True)


def run(*args, env=None, cwd=None, input=None, timeout=60):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(_exe() + [str(a) for a in args], capture_output=True, text=True, env=e, cwd=cwd,
                       input=input, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def status() -> dict | None:
    code, out, _ = run("server", "status", "--json")
    st = json.loads(out)
    assert (code == 0) == (st is not None)
    return st


def start(*extra) -> dict:
    code, out, err = run("server", "start", "--json", *extra)
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def archive(tmp_path, archive_dir):
    folder = tmp_path / "briefs"
    folder.mkdir()
    for name, text in BRIEFS.items():
        (folder / name).write_text(text, encoding="utf-8")
    code, _, err = run("add", folder, "--quiet", env={"BRIEF_SERVER": "off"})
    assert code == 0, err
    return archive_dir


COMMANDS = [
    ("search", "sanctions", "--format", "json"),
    ("search", "sanctions relief"),
    ("search", '"price cap"', "--format", "csv"),
    ("search", "ångström", "--format", "jsonl"),
    ("list", "--sort", "date"),
    ("list", "--format", "csv"),
    ("list", "--tag", "North Korea", "--format", "ids"),
    ("stats",),
    ("tags",),
    ("authors", "--json"),
    ("search", 'unclosed "quote'),  # a usage error: exit 2, one line
    ("search",),  # no query
    ("list", "--sort", "nonsense"),
    ("search", "--bogus-option", "x"),
    ("trend", "sanctions"),
    ("check",),
    ("check", "--json"),
]


def test_served_commands_behave_as_unserved(archive, server_dir):
    st = start()
    assert st["already"] is False and st["served"] == 0
    ran = 0
    for cmd in COMMANDS:
        alone = run(*cmd, env={"BRIEF_SERVER": "off"})
        served = run(*cmd)
        ran += 1
        assert served == alone, cmd
    assert status()["served"] == ran  # every one went through the server
    # the texts are data on every path: no markup, escape or formula reached the output
    _, out, _ = run("list")
    assert "\x1b" not in out and "[bold]Markup[/bold]" in out
    _, out, _ = run("list", "--format", "csv")
    assert "'=1+1" in out or "=1+1" not in out.split(",", 1)[0]


def _timeless(result):
    """An add's result without its run time (the summary's "(N inputs in 0.0 s)")."""
    import re

    code, out, err = result
    return code, out, re.sub(r" in [0-9.]+ s\)", " in T s)", err)


def _records(index) -> list[dict]:
    code, out, err = run("--index", index, "list", "--format", "json", env={"BRIEF_SERVER": "off"})
    assert code == 0, err
    return [{k: v for k, v in r.items() if k != "added"} for r in json.loads(out)]


def test_add_of_a_few_files_is_served_and_adds_what_it_adds_alone(archive, server_dir, tmp_path):
    new = tmp_path / "new"
    new.mkdir()
    texts = {"aid.txt": "Title: Food aid and famine early warning\nAuthor: Ana Ruiz\nDate: 2019-05-06\n\nAid flows.\n",
             "water.txt": "Title: Water rights on the Nile\nDate: 2018-02-01\n\nDams and treaties.\n",
             "bin.dat": "\x00\x01\x02 not text \xff",
             "far.txt": "Title: A brief never served\n\nIt comes in a folder.\n"}
    for name, text in texts.items():
        (new / name).write_text(text, encoding="latin-1" if name == "bin.dat" else "utf-8")
    (new / "folder").mkdir()
    shutil.copy(new / "far.txt", new / "folder" / "far.txt")
    alone_ix, served_ix = tmp_path / "alone-ix", tmp_path / "served-ix"
    for ix in (alone_ix, served_ix):
        shutil.copytree(archive, ix)
    start()
    adds = [("add", new / "aid.txt", new / "water.txt", "--tag", "Africa", "--author", "Kim Lee"),
            ("add", "water.txt", "--json"),  # unchanged, a relative path: the client's folder
            ("add", new / "bin.dat"),  # a named file that is not text fails: exit 1, one line
            ("add", "--", new / "aid.txt", "--dry-run")]  # after "--": a file named --dry-run
    (tmp_path / "--dry-run").write_text("Title: Dashes\n\nA file named like an option.\n", encoding="utf-8")
    for cmd in adds:
        cwd = new if cmd[1] == "water.txt" else tmp_path
        alone = run("--index", alone_ix, *cmd, cwd=cwd, env={"BRIEF_SERVER": "off"})
        served = run("--index", served_ix, *cmd, cwd=cwd)
        assert _timeless(served) == _timeless(alone), cmd
    assert [r[0] for r in (run("--index", alone_ix, "add", new / "bin.dat", env={"BRIEF_SERVER": "off"}),)] == [1]
    assert status()["served"] == len(adds)
    titles = {r["title"] for r in _records(served_ix)}
    assert {"Food aid and famine early warning", "Water rights on the Nile", "Dashes"} <= titles
    assert _records(served_ix) == _records(alone_ix)
    aid = [r for r in _records(served_ix) if r["title"].startswith("Food aid")][0]
    assert aid["authors"] == ["Kim Lee"] and "Africa" in aid["tags"]
    # a folder, standard input, more than FEW_FILES files: run alone (the server's count stays)
    many = []
    for i in range(9):
        many.append(new / f"m{i}.txt")
        many[-1].write_text(f"Title: Many {i}\n\nOne of nine.\n", encoding="utf-8")
    for cmd, stdin in ((("add", new / "folder"), None), (("add", "-", "--title", "From stdin"), "Piped text.\n"),
                       (("add", *many), None)):
        code, _, err = run("--index", served_ix, *cmd, input=stdin)
        assert code == 0, err
    assert status()["served"] == len(adds)
    assert {"A brief never served", "From stdin", "Many 8"} <= {r["title"] for r in _records(served_ix)}


def test_the_client_knows_which_add_options_take_a_value():
    # served.few_files skips the value of these options; the command's own list must be the same
    from typer.main import get_command

    from brieftool import served
    from brieftool.cli import app

    add = get_command(app).commands["add"]
    options = [p for p in add.params if p.param_type_name == "option"]
    taking = {o for p in options if not p.is_flag and not p.count for o in p.opts + p.secondary_opts}
    assert len(options) > len([p for p in options if not p.is_flag]) > 10  # flags and options were both seen
    assert taking == served.ADD_VALUE_OPTIONS


def test_few_files_counts_the_files_an_add_names(tmp_path, monkeypatch):
    from brieftool.served import FEW_FILES, few_files

    monkeypatch.chdir(tmp_path)
    for i in range(FEW_FILES + 1):
        (tmp_path / f"f{i}.txt").write_text("x", encoding="utf-8")
    (tmp_path / "dir").mkdir()
    files = [f"f{i}.txt" for i in range(FEW_FILES + 1)]
    assert few_files(["f0.txt"]) and few_files(files[:FEW_FILES])
    assert not few_files(files) and not few_files([]) and not few_files(["-q"])
    assert few_files(["--tag", "dir", "f0.txt", "-q", "--tag=dir", "-j", "2"])  # "dir" is --tag's value
    assert not few_files(["dir"]) and not few_files(["f0.txt", "-"]) and not few_files(["missing.txt"])
    assert not few_files(["f*.txt"])  # a glob: the command expands it
    assert not few_files(["--", "-q"])  # after "--" an operand: no file named -q here
    from typer.main import get_command

    from brieftool.cli import app

    assert f"add of up to {FEW_FILES} files" in " ".join(get_command(app).commands["server"].commands["start"].help.split())


def _wait_for_server(seconds: float) -> dict | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        st = status()
        if st is not None:
            return st
        time.sleep(0.1)
    return None


def test_auto_starts_a_server_for_the_next_commands(archive, server_dir):
    want = run("search", "sanctions", "--format", "ids", env={"BRIEF_SERVER": "off"})
    assert want[0] == 0 and len(want[1].split()) == 2
    assert run("search", "sanctions", "--format", "ids") == want and status() is None  # unset: none started
    assert run("search", "sanctions", "--format", "ids", env={"BRIEF_SERVER": "auto"}) == want  # run alone
    st = _wait_for_server(30)  # ... and a server started for the next commands
    assert st is not None and st["served"] == 0
    assert run("search", "sanctions", "--format", "ids", env={"BRIEF_SERVER": "auto"}) == want
    assert run("tags", env={"BRIEF_SERVER": "AUTO"}) == run("tags", env={"BRIEF_SERVER": "off"})
    assert status()["served"] == 2 and status()["pid"] == st["pid"]
    # one attempt a minute: after a stop, the next commands run alone and start no other server
    run("server", "stop")
    assert run("search", "sanctions", "--format", "ids", env={"BRIEF_SERVER": "auto"}) == want
    assert _wait_for_server(4) is None


def test_a_server_runs_the_clients_brieftool_wherever_it_is_started(archive, server_dir, tmp_path):
    # `python -m` puts the working folder first on sys.path: started in a folder that holds
    # another brieftool (a checkout of another version), a server must still run the client's
    if _exe()[0] == sys.executable:
        pytest.skip("needs the brief command (run as python -m, the client itself imports the folder's)")
    cwd = tmp_path / "elsewhere"
    (cwd / "brieftool").mkdir(parents=True)
    (cwd / "brieftool" / "__init__.py").write_text("raise SystemExit('the wrong brieftool')\n", encoding="utf-8")
    want = run("search", "sanctions", "--format", "ids", env={"BRIEF_SERVER": "off"})
    assert run("search", "sanctions", "--format", "ids", cwd=cwd, env={"BRIEF_SERVER": "auto"}) == want
    st = _wait_for_server(30)
    assert st is not None
    assert run("search", "sanctions", "--format", "ids", cwd=cwd) == want and status()["served"] == 1
    run("server", "stop")
    code, out, err = run("server", "start", "--json", cwd=cwd)
    assert code == 0 and json.loads(out)["already"] is False, err
    assert run("search", "sanctions", "--format", "ids", cwd=cwd) == want and status()["served"] == 1


def test_starts_at_once_give_one_server(server_dir):
    procs = [subprocess.Popen(_exe() + ["server", "start", "--json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=90) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    got = [json.loads(out) for out, _ in outs]
    assert len({g["pid"] for g in got}) == 1 and status()["pid"] == got[0]["pid"]
    assert sorted(g["already"] for g in got) == [False, True, True]  # the one whose server it is says so


def test_show_served_by_id(archive, server_dir):
    start()
    ids = run("list", "--format", "ids", env={"BRIEF_SERVER": "off"})[1].split()
    assert len(ids) == 4
    for bid in ids:
        assert run("show", bid, "--format", "json") == run("show", bid, "--format", "json",
                                                           env={"BRIEF_SERVER": "off"})
    missing = run("show", "zzzzzz")
    assert missing == run("show", "zzzzzz", env={"BRIEF_SERVER": "off"}) and missing[0] == 2
    assert status()["served"] == 5


def test_client_folder_environment_and_stdin(archive, server_dir, tmp_path):
    start()
    rel = os.path.relpath(archive, tmp_path)
    # a relative --index is the client's folder's; BRIEF_INDEX and the query from stdin are the client's
    want = run("--index", rel, "search", "energy", "--format", "ids", cwd=tmp_path, env={"BRIEF_SERVER": "off"})
    assert want[0] == 0 and len(want[1].split()) == 1
    assert run("--index", rel, "search", "energy", "--format", "ids", cwd=tmp_path) == want
    assert run("search", "--query-file", "-", "--format", "ids", input="energy\n") == want
    empty = tmp_path / "empty-archive"
    code, out, err = run("list", env={"BRIEF_INDEX": str(empty)})
    assert code == 1 and str(empty) in err and len(err.strip().splitlines()) == 1
    # a TZ of the client's: the same as without the server
    assert run("list", "--format", "json", env={"TZ": "Pacific/Auckland"}) == run(
        "list", "--format", "json", env={"TZ": "Pacific/Auckland", "BRIEF_SERVER": "off"})
    assert status()["served"] == 4


def _interrupted(env: dict) -> tuple[int, str, str]:
    """A search waiting for its query on stdin (never sent), stopped by Ctrl-C (SIGINT to `brief`)."""
    p = subprocess.Popen(_exe() + ["search", "--query-file", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=dict(os.environ, **env))
    deadline = time.monotonic() + 30
    if env.get("BRIEF_SERVER") == "off":
        time.sleep(2)  # time to start and block on stdin
    else:
        while status()["running"] == 0:
            assert time.monotonic() < deadline, "the command never reached the server"
            time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=30)  # before stdin is closed (an end of input would end the search too)
    out, err = p.communicate(timeout=30)
    return p.returncode, out, err


def test_ctrl_c_reaches_the_command(archive, server_dir):
    start()
    served = _interrupted({})
    assert served == _interrupted({"BRIEF_SERVER": "off"})
    assert served[0] == 130 and "Traceback" not in served[2]
    deadline = time.monotonic() + 10
    while status()["running"]:  # the child is gone
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert status()["served"] == 1


def test_a_closed_reader_ends_quietly(archive, server_dir):
    start()
    p = subprocess.Popen(_exe() + ["list", "--format", "csv"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()  # like `brief list | head -0`
    err = p.stderr.read().decode()
    assert p.wait(timeout=30) == 0 and "Traceback" not in err and err == ""


def test_without_a_server_or_with_a_dead_one_commands_run_alone(archive, server_dir):
    assert status() is None
    code, out, _ = run("server", "status")
    assert code == 1 and out == "no brief server is running\n"
    assert run("server", "stop")[1] == "no brief server was running\n"
    want = run("search", "sanctions", "--format", "ids", env={"BRIEF_SERVER": "off"})
    assert run("search", "sanctions", "--format", "ids") == want
    st = start()
    os.kill(st["pid"], signal.SIGKILL)  # its socket and lock file stay behind
    deadline = time.monotonic() + 10
    while Path(f"/proc/{st['pid']}").exists() and Path(f"/proc/{st['pid']}/status").read_text().find("zombie") < 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert Path(st["socket"]).exists()
    assert run("search", "sanctions", "--format", "ids") == want
    again = start()  # a new server takes over the stale socket
    assert again["pid"] != st["pid"] and again["already"] is False
    assert run("search", "sanctions", "--format", "ids") == want
    assert status()["served"] == 1
    assert start()["already"] is True


def test_a_server_stops_when_idle(server_dir):
    st = start("--idle", "0.02")  # 1.2 seconds
    deadline = time.monotonic() + 30
    while status() is not None:
        assert time.monotonic() < deadline, "the idle server did not stop"
        time.sleep(0.2)
    assert not Path(st["socket"]).exists()


def test_a_server_whose_code_changed_steps_aside(archive, server_dir):
    start()
    want = run("tags", env={"BRIEF_SERVER": "off"})
    src = ROOT / "brieftool" / "render.py"
    st = src.stat()
    try:
        os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # as an upgrade or an edit does
        assert run("tags") == want  # run without the server ...
        deadline = time.monotonic() + 10
        while status() is not None:  # ... which then stops
            assert time.monotonic() < deadline, "the server kept running old code"
            time.sleep(0.05)
    finally:
        os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_the_socket_folder_is_private(archive, server_dir):
    st = start()
    mode = os.stat(server_dir).st_mode & 0o777
    assert mode == 0o700
    assert os.stat(st["socket"]).st_mode & 0o077 == 0
    os.chmod(server_dir, 0o755)  # someone opened the folder up: the client no longer trusts it
    try:
        assert run("search", "energy", "--format", "ids") == run("search", "energy", "--format", "ids",
                                                                 env={"BRIEF_SERVER": "off"})
        assert status() is None  # the client does not talk to it either
    finally:
        os.chmod(server_dir, 0o700)
    assert status()["served"] == 0


def test_hash_table_directory_read_at_once(archive):
    """engine/whoosh.py reads a term file's 256-entry directory in one read: the same table."""
    from whoosh import index
    from whoosh.filedb import filetables

    import brieftool.engine.whoosh  # noqa: F401  (installs the patch)

    ix = index.open_dir(str(archive), indexname="MAIN")
    seg = ix._segments()[0]
    names = [n for n in ix.storage.list() if n.startswith(seg.segment_id()) and n.endswith(".trm")]
    assert names
    cls = filetables.OrderedHashReader
    quick = cls(ix.storage.open_file(names[0]), ix.storage.file_length(names[0]))
    stock = object.__new__(cls)
    filetables.HashReader._brief_original_init(stock, ix.storage.open_file(names[0]),
                                               ix.storage.file_length(names[0]))
    assert quick.tables == stock.tables and len(quick.tables) == 256
    assert (quick.startofdata, quick.endofdata) == (stock.startofdata, stock.endofdata)
    assert list(quick.keys()) == list(stock.keys()) and len(list(quick.keys())) > 10


def test_a_server_that_does_not_answer_is_not_waited_for(archive, server_dir):
    st = start()
    os.kill(st["pid"], signal.SIGSTOP)  # hung: it accepts nothing, answers nothing
    try:
        want = run("tags", env={"BRIEF_SERVER": "off"})
        t = time.monotonic()
        assert run("tags", timeout=60) == want  # run without it, after a few seconds' wait
        assert time.monotonic() - t < 30
        code, out, _ = run("server", "stop")
        assert code == 0 and out == f"brief server (pid {st['pid']}) did not answer (an older brief's, or hung): stopped it\n"
        assert not Path(f"/proc/{st['pid']}/cmdline").exists() or not Path(f"/proc/{st['pid']}/cmdline").read_bytes()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(st["pid"], signal.SIGCONT)
    assert status() is None
    assert start()["already"] is False


# -- the archive kept open for the children (engine/whoosh_warm.py) --------------------------------
def _wait_for(pred, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.1)
    return pred()


def _deleted_files_held(pid: int, folder: Path) -> list[str]:
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith(str(folder)) and target.endswith("(deleted)"):
                out.append(target)
    return out


@pytest.fixture
def big_archive(tmp_path, archive_dir):
    """400 briefs: segment files of many 8 KB buffers, so children really seek and read them."""
    import random

    rng = random.Random(3)
    words = ("sanctions relief freeze trade policy tariffs energy security gas storage price cap treaty "
             "summit envoy inspection missile budget deficit national debt reform").split()
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(400):
        body = " ".join(rng.choice(words) for _ in range(rng.randint(40, 400)))
        (folder / f"b{i:03d}.txt").write_text(f"Title: Memo {i} on {rng.choice(words)}\nDate: 20{10 + i % 14}-01-02\n\n"
                                              f"{body}.\n", encoding="utf-8")
    code, _, err = run("add", folder, "--quiet", env={"BRIEF_SERVER": "off"})
    assert code == 0, err
    return archive_dir


QUERIES = ["sanctions", '"national debt"', "energy security", "tariff*", "budget -deficit", "treaty OR summit",
           '"price cap" gas', "reform"]


def test_the_archive_kept_open_gives_what_a_fresh_read_gives(big_archive, server_dir, tmp_path):
    st = start()
    key = os.path.realpath(big_archive)
    first = run("search", "sanctions", "--format", "ids", "--limit", "0")
    assert first == run("search", "sanctions", "--format", "ids", "--limit", "0", env={"BRIEF_SERVER": "off"})
    assert len(first[1].split()) > 100
    # the child asked for it; the server opened it once, and the next children use it
    assert _wait_for(lambda: status()["archives_open"] == [key])
    opened = status()["archives_opened"]
    assert opened == 1
    for q in QUERIES:
        assert run("search", q, "--format", "json") == run("search", q, "--format", "json", env={"BRIEF_SERVER": "off"}), q
    assert status()["archives_opened"] == opened  # used, not opened again: unchanged archive
    # a commit: the next served search sees it at once, and the server opens the new generation
    new = tmp_path / "new.txt"
    new.write_text("Title: Zanzibar sanctions\n\nA memo on sanctions and zanzibar cloves.\n", encoding="utf-8")
    code, _, err = run("add", new, env={"BRIEF_SERVER": "off"})
    assert code == 0, err
    code, out, _ = run("search", "zanzibar", "--format", "ids")
    assert code == 0 and len(out.split()) == 1
    assert _wait_for(lambda: status()["archives_opened"] > opened)
    assert run("search", "sanctions", "--format", "json") == run("search", "sanctions", "--format", "json",
                                                                 env={"BRIEF_SERVER": "off"})
    # a rebuild deletes every file of the old generation: the server lets go of them
    code, _, err = run("reindex", env={"BRIEF_SERVER": "off"})
    assert code == 0, err
    assert _wait_for(lambda: not _deleted_files_held(st["pid"], Path(key)))
    assert run("search", '"national debt"', "--format", "json") == run("search", '"national debt"', "--format", "json",
                                                                       env={"BRIEF_SERVER": "off"})


def test_children_reading_the_kept_archive_at_once_do_not_mix_their_reads(big_archive, server_dir):
    # Children forked from one server share its open files' offsets unless each gets its own:
    # eight at once, each reading the same segment files, each must give what it gives alone.
    start()
    want = {q: run("search", q, "--format", "json", "--limit", "0", env={"BRIEF_SERVER": "off"}) for q in QUERIES}
    run("search", "warm", "--format", "ids")
    key = os.path.realpath(big_archive)
    assert _wait_for(lambda: status()["archives_open"] == [key])
    for _ in range(3):
        procs = [(q, subprocess.Popen(_exe() + ["search", q, "--format", "json", "--limit", "0"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)) for q in QUERIES]
        for q, p in procs:
            out, err = p.communicate(timeout=60)
            assert (p.returncode, out, err) == want[q], q
    assert status()["archives_opened"] == 1  # all of them used the one kept open
