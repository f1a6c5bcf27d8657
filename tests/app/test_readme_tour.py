"""The README's API tour, run as written against a live server.

The README promises that its tour runs as it stands; this test extracts the ``sh`` block under
"API tour" and runs it with ``bash -e`` (each ``curl -f`` fails the run on any HTTP error) in a
scratch folder (``.venv/bin/python`` is this interpreter), against ``create_app`` under uvicorn on a fresh SQLite database.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from live_server import process_server

REPOSITORY = Path(__file__).resolve().parents[2]
ADMIN = "tour-admin-" + "t" * 24


def tour_script() -> str:
    """The first ``sh`` block after the README's "## API tour" heading."""
    readme = (REPOSITORY / "README.md").read_text("utf-8")
    section = readme[readme.index("## API tour") :]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match is not None, "the API tour has no sh block"
    return match.group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the tour uses curl")
def test_the_readme_api_tour_runs_as_written(tmp_path: Path) -> None:
    env = {
        "BADGES_DATABASE_URL": f"sqlite:///{tmp_path / 'tour.db'}",
        "BADGES_DATA_DIR": str(tmp_path / "data"),
        "BADGES_ADMIN_TOKEN": ADMIN,
        "BADGES_LOG_LEVEL": "WARNING",
    }
    from app.core.migrations import upgrade

    upgrade(env["BADGES_DATABASE_URL"])
    work = tmp_path / "work"
    work.mkdir()
    with process_server(env, tmp_path / "server.log") as base:
        # The tour runs from the checkout; here it runs in a scratch folder, so the two paths
        # it names relative to the checkout are given whole.
        script = (
            tour_script()
            .replace("B=http://127.0.0.1:8000", f"B={base}", 1)
            .replace(".venv/bin/python ", f"{sys.executable} ")
        )
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=work,
            env={**os.environ, "ADMIN": ADMIN},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        # The tour ends with a revocation: the credential it issued now verifies as revoked.
        credential = json.loads((work / "credential.json").read_text("utf-8"))
        report = httpx.post(
            f"{base}/api/v1/verify",
            json=credential,
            headers={"Authorization": f"Bearer {ADMIN}"},
            timeout=30,
        ).json()
    checks = {check["id"]: check["status"] for check in report["checks"]}
    assert checks["proof"] == "valid"
    assert checks["revocation"] == "invalid"
    assert (work / "badge.png").read_bytes().startswith(b"\x89PNG")
