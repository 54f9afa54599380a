"""Command-line progress: a tqdm bar with an ETA on a terminal, one line per step in logs, nothing with --quiet."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

from gridtool.progress import CommandProgress, command_progress

REPO = Path(__file__).resolve().parents[1]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_lines_when_not_a_terminal():
    out = io.StringIO()
    with command_progress(lang="en", stream=out) as show:
        show(0.0, "读取 / reading")
        show(0.5, "划分网格 / partitioning")
    assert out.getvalue().splitlines() == ["[  0.0%] reading", "[ 50.0%] partitioning"]


def test_bar_with_eta_on_a_terminal():
    term = _Terminal()
    with command_progress(lang="zh", stream=term) as show:
        assert isinstance(show, CommandProgress)
        show(0.25, "读取 / reading")
        show(0.75, "划分网格 / partitioning")
        show(0.5, "子步骤 / sub-step")  # never moves back
    text = term.getvalue()
    assert "\r" in text  # redrawn in place, not a line per step
    assert "75%" in text and "划分网格" in text and "partitioning" not in text
    assert "<" in text  # elapsed<remaining: the ETA
    assert "[ 75.0%]" not in text
    assert "子步骤" in text.rsplit("\r", 1)[-1]
    assert "100%" in text.rsplit("\r", 1)[-1]  # the block ended without an error: finished


def test_quiet_gives_no_callable():
    class Args:
        quiet = True
        lang = "zh"
    with command_progress(Args()) as show:
        assert show is None


def test_cli_on_a_pseudo_terminal(tmp_path):
    """`gridtool export` in a real (pseudo-)terminal draws one bar; piped, it writes lines."""
    from .maps_data import make_project

    proj = make_project().save(tmp_path / "p.gpkg")
    cmd = [sys.executable, "-m", "gridtool", "--lang", "en", "export", str(proj), "--html", str(tmp_path / "m.html")]
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "100"}
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, cwd=REPO, env=env)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")  # the terminal's own CRLF
    assert "\r" in text and "%|" in text and "<" in text, text[-500:]
    assert "100%|" in text.rsplit("\r", 1)[-1].splitlines()[0]  # done: the bar ends full
    assert "[100.0%]" not in text

    piped = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert piped.returncode == 0, piped.stderr
    lines = [ln for ln in piped.stderr.splitlines() if ln.startswith("[")]
    assert lines and all("%]" in ln for ln in lines) and "\r" not in piped.stderr
