"""scripts/binder_limits.py with a stand-in limiter: its table, CSV and stopping rule (no notebook runs)."""

from __future__ import annotations

import csv
import importlib.util
import stat

from utils.core.paths import PROJECT_ROOT
from utils.notebook.series import series_notebooks


def _script():
    spec = importlib.util.spec_from_file_location("binder_limits", PROJECT_ROOT / "scripts" / "binder_limits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _limiter(tmp_path, status: int) -> str:
    """A limiter that reports a peak and exits with ``status`` without running its command."""
    path = tmp_path / f"limiter-{status}.sh"
    path.write_text(f'#!/bin/sh\necho "binder-sim: peak 123 MiB" >&2\nexit {status}\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_a_failed_notebook_stops_the_run_unless_keep_going(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SER_DATA_SOURCE", "demo")
    monkeypatch.setenv("SER_DEMO_SIZE", "full")
    script = _script()
    out = tmp_path / "limits.csv"
    assert script.main(["--only", "01", "02", "--limiter", _limiter(tmp_path, 137), "--out", str(out)]) == 1
    rows = list(csv.DictReader(open(out, newline="")))
    assert [(r["notebook"], r["data"], r["cgroup_peak_mib"], r["result"]) for r in rows] == [
        (series_notebooks(["01"])[0].name, "demo-full", "123", "killed (memory)")]
    assert script.main(["--only", "01", "02", "--limiter", _limiter(tmp_path, 1), "--keep-going", "--out", str(out)]) == 1
    assert [r["result"] for r in csv.DictReader(open(out, newline=""))] == ["failed (1)", "failed (1)"]
    assert script.main(["--only", "01", "--limiter", _limiter(tmp_path, 0)]) == 0
    assert "| whole series |" in capsys.readouterr().out
