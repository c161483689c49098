"""How brief copes with one very large text file (default 50 MB), and what backups cost.

Builds a file of real prose (the State of the Union speeches, repeated with numbered
parts until the size is reached), then times, each as a real `brief` process on a fresh
archive in bench/work/: add, search for a word and a phrase, show --json, export, check,
reindex, and the archive's size on disk.

    python bench/bench_bigfile.py            # 50 MB
    python bench/bench_bigfile.py --mb 10
    python bench/bench_bigfile.py --mb 200 --add-only   # the peak memory of adding a 200 MB file

Every row: wall seconds, CPU seconds and peak memory (the largest resident set) of the command.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "bigfile"
SOTU = HERE.parent.parent / "shared" / "corpora" / "sotu" / "speeches"


def brief_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("brief")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "brieftool"]


def build(path: Path, mb: float) -> None:
    target = int(mb * 1024 * 1024)
    if path.exists() and path.stat().st_size >= target:
        return
    speeches = [f.read_text("utf-8") for f in sorted(SOTU.glob("*.txt"))]
    if not speeches:
        raise SystemExit(f"no speeches in {SOTU}")
    size = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write("The collected addresses, repeated\n\n")
        part = 0
        while size < target:
            for s in speeches:
                part += 1
                chunk = f"Part {part}\n\n{s}\n\n"
                f.write(chunk)
                size += len(chunk.encode("utf-8"))
                if size >= target:
                    break
        f.write("zyxwvutsword at the very end\n")


# Each command runs under a fresh wrapper process, so that its peak memory is its own: the
# largest resident set of the command's process tree (getrusage of the wrapper's children).
MEASURE = r"""
import json, resource, subprocess, sys
p = subprocess.run(sys.argv[1:], capture_output=True)
sys.stdout.buffer.write(p.stdout)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(json.dumps({"rc": p.returncode, "cpu": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss,
                             "stderr": p.stderr.decode(errors="replace")[-300:]}))
"""


def timed(label: str, args: list[str], env: dict, rows: list) -> subprocess.CompletedProcess:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", MEASURE, *brief_cmd(), *args], env=env, capture_output=True)
    dt = time.perf_counter() - t0
    m = json.loads(p.stderr.decode())
    ok = "ok" if m["rc"] == 0 else f"exit {m['rc']}: {m['stderr'][:200]}"
    rows.append((label, dt, m["cpu"], m["maxrss_kb"] / 1024, ok))
    print(f"{label:<38} {dt:8.2f} s wall {m['cpu']:8.2f} s CPU {m['maxrss_kb'] / 1024:7.0f} MB peak  {ok}", flush=True)
    return p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=50)
    ap.add_argument("--add-only", action="store_true", help="only the add (and the search for the last word)")
    a = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    big = WORK / f"big-{a.mb:g}mb.txt"
    build(big, a.mb)
    arch = WORK / "archive"
    shutil.rmtree(arch, ignore_errors=True)
    env = dict(os.environ, BRIEF_INDEX=str(arch))
    print(f"file: {big} ({big.stat().st_size / 1e6:.1f} MB, {sum(1 for _ in open(big, 'rb')):,} lines)")
    rows: list = []
    timed("add", ["add", str(big)], env, rows)
    p = timed("search one word (end of text)", ["search", "zyxwvutsword", "--format", "ids"], env, rows)
    if len(p.stdout.split()) != 1:
        raise SystemExit(f"the last word of the file was not found: {p.stdout!r}")
    if a.add_only:
        add = rows[0]
        print(f"peak memory of the add: {add[3]:.0f} MB for a {big.stat().st_size / 1e6:.0f} MB file "
              f"({add[3] * 1024 * 1024 / big.stat().st_size:.1f}x its size)")
        return
    timed("search phrase, with snippet", ["search", '"state of the union"', "--limit", "1"], env, rows)
    p = timed("show --json", ["show", "--json", subprocess.run(brief_cmd() + ["list", "--format", "ids"], env=env,
                                                               capture_output=True, text=True).stdout.split()[0]],
              env, rows)
    print(f"{'':<38} ({len(p.stdout) / 1e6:.1f} MB of JSON)")
    timed("export", ["export", str(WORK / "export.jsonl")], env, rows)
    timed("check", ["check"], env, rows)
    timed("reindex", ["reindex"], env, rows)
    timed("add again (unchanged)", ["add", str(big)], env, rows)
    size = sum(f.stat().st_size for f in arch.iterdir() if f.is_file())
    print(f"archive on disk: {size / 1e6:.1f} MB")
    add = rows[0]
    print(f"peak memory of the add: {add[3]:.0f} MB for a {big.stat().st_size / 1e6:.0f} MB file "
          f"({add[3] * 1024 * 1024 / big.stat().st_size:.1f}x its size)")


if __name__ == "__main__":
    main()
