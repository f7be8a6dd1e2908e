"""The generated reference must follow the code (regenerate: scripts/make_reference.py)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_reference_is_current():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_reference.py"),
                           "--check"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_every_public_name_is_in_the_reference():
    import evopolity

    text = (ROOT / "docs" / "reference.md").read_text()
    missing = [name for name in evopolity.__all__ if f"`{name}`" not in text]
    assert not missing
