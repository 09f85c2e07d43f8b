"""The vendored front-end files are the ones scripts/vendor-web recorded (no npm here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_vendored_files_match_their_versions_file() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts/vendor-web"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
