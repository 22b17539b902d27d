"""``alliancesim dashboard`` as a teacher runs it: it serves, and SIGTERM to its PID
stops the server (the command is the server: no child is left serving)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request


def test_sigterm_to_the_commands_pid_stops_the_server(free_port, solara_env, repo_root):
    port = free_port
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen(
        [sys.executable, "-m", "alliancesim", "dashboard", "--port", str(port)],
        cwd=repo_root,
        env=solara_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"the dashboard exited with {proc.returncode}"
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("the dashboard did not serve its page within 90 s")
        proc.send_signal(signal.SIGTERM)  # to the command's own PID, not its group
        proc.wait(timeout=30)
        time.sleep(0.5)
        try:
            urllib.request.urlopen(url, timeout=2)
        except OSError:
            pass  # nothing serves any more
        else:
            raise AssertionError("a server still answers after the command was stopped")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_a_bad_keep_sessions_is_refused_with_exit_code_2(repo_root):
    done = subprocess.run(
        [sys.executable, "-m", "alliancesim", "dashboard", "--keep-sessions", "soon"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "--keep-sessions 'soon'" in done.stderr and "Traceback" not in done.stderr
