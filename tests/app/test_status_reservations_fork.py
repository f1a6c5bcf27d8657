"""A forked worker never hands out its parent's reserved status positions (issue 9, 18b), and
forking while another thread holds the reservations' lock does not hang the child."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest

from app.hot import issuing as hot_issuing
from app.status import service as status_service

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _child_exit_code(check_in_child: object) -> int:
    """Fork; the child runs ``check_in_child`` and exits 0 if it returns True. Waits 10 s."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            code = 0 if check_in_child() else 3  # type: ignore[operator]
        finally:
            os._exit(code)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return -1  # hung


def _parent_block() -> uuid.UUID:
    list_id = uuid.uuid4()
    with hot_issuing.reservations.lock:
        hot_issuing.reservations.blocks[list_id] = [
            status_service.ReservedBlock(b"k" * 16, 1024, 0, 32)
        ]
    return list_id


def test_a_forked_child_forgets_the_parents_blocks() -> None:
    list_id = _parent_block()
    try:
        assert _child_exit_code(lambda: status_service._take(list_id) is None) == 0
        assert status_service._take(list_id) is not None  # the parent keeps its block
    finally:
        status_service.forget_reservations()


def test_forking_while_another_thread_holds_the_lock_does_not_hang_the_child() -> None:
    list_id = _parent_block()
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with hot_issuing.reservations.lock:
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(5)
        code = _child_exit_code(lambda: status_service._take(list_id) is None)
    finally:
        release.set()
        holder.join()
        status_service.forget_reservations()
    assert code == 0
