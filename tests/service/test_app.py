"""The API process: small, quick to start, and free of the workers' heavy parts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_api_process_never_imports_torch_detoxify_or_the_workers(tmp_path: Path) -> None:
    """Does building the WSGI app leave torch, Detoxify and workers/ unloaded?"""
    code = (
        "import sys; import service.wsgi; "
        "heavy = {'torch', 'detoxify', 'workers', 'transformers'}; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in heavy); "
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={"MODERATION_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert out.stdout.strip() == "[]"
