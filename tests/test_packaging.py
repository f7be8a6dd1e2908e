"""Import-time promises: no axelrod, and kernels import from a read-only installation."""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import evopolity


def test_import_evopolity_does_not_import_axelrod():
    code = "import sys, evopolity; print('axelrod' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_package_imports_and_runs_from_a_read_only_directory(tmp_path):
    # numba's cache=True fails at import when no cache directory is writable; the package
    # must detect that and fall back (docs/performance.md, "Numba caching, a trap").
    target = tmp_path / "site"
    shutil.copytree(Path(evopolity.__file__).parent, target / "evopolity",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for root, dirs, files in os.walk(target):
        for name in dirs + files:
            path = Path(root) / name
            mode = path.stat().st_mode
            path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    target.chmod(0o555)
    env = dict(os.environ, PYTHONPATH=str(target), NUMBA_CACHE_DIR="/proc/no-such-dir",
               TMPDIR=str(tmp_path / "missing-tmp" / "x"), HOME="/proc/no-home")
    code = ("import evopolity as ep; t = ep.tournament(['Tit For Tat', 'Defector'], turns=5);"
            "print(ep.__file__, t.payoffs.iat[0, 1])")
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=300)
    finally:
        for root, dirs, _ in os.walk(target):
            for name in dirs:
                (Path(root) / name).chmod(0o755)
        target.chmod(0o755)
    assert proc.returncode == 0, proc.stderr[-2000:]
    where, value = proc.stdout.split()
    assert where.startswith(str(target))
    assert float(value) == 0.8  # TFT vs ALLD over 5 turns: (S + 4P) / 5
