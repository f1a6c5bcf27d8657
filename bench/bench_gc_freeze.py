"""Does freezing the start-up heap (``app.main._freeze_startup_heap``) pay? Pages with and without.

Runs ``bench/bench_pages.py`` twice (or ``--rounds`` times each, alternating): as shipped, where
each worker calls ``gc.freeze()`` once at start-up, and with ``gc.freeze`` made a no-op in every
worker process (a ``sitecustomize`` on ``PYTHONPATH``; nothing in the code switches it). Compare
the p99 columns: a full collection that scans every start-up object lands in the p99.
On a busy machine p99 is mostly other load, so it first prints the pause itself, measured in
one process after start-up and some traffic: a full collection with the start-up heap
scanned, then frozen.

    .venv/bin/python bench/bench_gc_freeze.py [--rounds 2] [-- extra bench_pages arguments]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NO_FREEZE = "import gc\ngc.freeze = lambda: None  # bench_gc_freeze: the heap is not frozen\n"


def run(frozen: bool, extra: list[str]) -> None:
    """One bench_pages run, printed under a heading."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        if not frozen:
            Path(tmp, "sitecustomize.py").write_text(NO_FREEZE, encoding="utf-8")
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [tmp, env.get("PYTHONPATH")]))
        print(f"--- start-up heap {'frozen (as shipped)' if frozen else 'NOT frozen'}", flush=True)
        command = [sys.executable, str(ROOT / "bench" / "bench_pages.py"), *extra]
        subprocess.run(command, cwd=ROOT, env=env, check=True)


def full_collection_pause() -> None:
    """Time ``gc.collect()`` in a started app with traffic, before and after ``gc.freeze()``."""
    import gc
    import logging
    import time

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests" / "app" / "web"))
    logging.disable(logging.INFO)
    from fastapi.testclient import TestClient
    from web_support import Issuer, make_app, make_settings

    def pause_ms() -> float:
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            gc.collect()
            best = min(best, time.perf_counter() - started)
        return best * 1000

    with tempfile.TemporaryDirectory() as tmp, TestClient(make_app(make_settings(Path(tmp)))) as c:
        issuer = Issuer(c)
        achievement = issuer.achievement("Data Analysis")
        for n in range(50):  # contexts, templates, caches: what a worker holds after a while
            c.get(
                f"/credentials/{issuer.issue(achievement, name=f'L{n}')}",
                headers={"Accept": "text/html"},
            )
        gc.unfreeze()  # the lifespan froze the start-up heap: scan it all again
        tracked = len(gc.get_objects())
        scanned = pause_ms()
        gc.freeze()
        frozen = pause_ms()
        gc.unfreeze()
    print(f"full collection: {tracked:,} objects, {scanned:.1f} ms scanned, {frozen:.1f} ms frozen")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    args, extra = parser.parse_known_args()
    full_collection_pause()
    for _ in range(args.rounds):
        run(True, [a for a in extra if a != "--"])
        run(False, [a for a in extra if a != "--"])


if __name__ == "__main__":
    main()
