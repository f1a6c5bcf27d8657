"""Running the JavaScript interop scripts of ``interop/`` (Digital Bazaar's verifier and signer)
from any test: ``find_node()`` installs the packages once, ``run_node`` runs one script."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from openbadges.jsonld.loader import CONTEXT_FILES

INTEROP = Path(__file__).resolve().parents[2] / "interop"
NOW = "2026-06-01T00:00:00Z"  # the verifiers' clock, unless a request names its own


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"JS interop cannot run under CI: {reason}")
    pytest.skip(f"JS interop skipped: {reason}")


def find_node() -> str:
    """The node binary, with ``interop/node_modules`` installed from the lock file (skipped
    without node locally, a failure under CI)."""
    node_bin, npm_bin = shutil.which("node"), shutil.which("npm")
    if node_bin is None or npm_bin is None:
        _unavailable("node and npm are not on PATH (install Node 20+ to run it)")
    assert node_bin is not None
    assert npm_bin is not None
    major = subprocess.run([node_bin, "--version"], capture_output=True, text=True, check=True)
    if int(major.stdout.strip().lstrip("v").split(".")[0]) < 20:
        _unavailable(f"node {major.stdout.strip()} is older than 20")
    lock, marker = INTEROP / "package-lock.json", INTEROP / "node_modules" / ".package-lock.json"
    # One installer at a time (pytest-xdist workers share the folder).
    with (INTEROP / ".npm-ci.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime:
            done = subprocess.run(
                [npm_bin, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=INTEROP,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if done.returncode != 0:
                _unavailable(f"`npm ci` in interop/ failed:\n{done.stdout}\n{done.stderr}")
    return node_bin


def run_node(node: str, script: str, request: dict[str, Any]) -> dict[str, Any]:
    """Run one interop script on a JSON request; returns its JSON answer."""
    request = {"contexts": CONTEXT_FILES, "now": NOW, **request}
    done = subprocess.run(
        [node, str(INTEROP / script)],
        input=json.dumps(request, ensure_ascii=False),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        cwd=INTEROP,
    )
    assert done.returncode == 0, f"{script} failed ({done.returncode}):\n{done.stderr}"
    answer: dict[str, Any] = json.loads(done.stdout)
    # The loader is closed: nothing outside the bundled contexts, did:key and the documents we
    # handed over was ever asked for (a fetch would make the result depend on the network).
    assert answer["refused"] == [], answer["refused"]
    return answer
