"""Run the real ``stance`` command in a subprocess, as a user would, with the tiny settings for ``workdir``."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, TINY, tiny_overrides


def stance_argv(workdir: Path, *args: str) -> list[str]:
    """``python -m pipeline --config tiny.yaml --set ... <args>``, writing only inside ``workdir``."""
    sets = [item for override in tiny_overrides(workdir) for item in ("--set", override)]
    return [sys.executable, "-m", "pipeline", "--config", str(TINY), *sets, *args]


def stance_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    return env | {"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"} | extra


def run_stance(workdir: Path, *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(stance_argv(workdir, *args), cwd=workdir, env=stance_env(**env), capture_output=True, text=True, timeout=timeout, check=False)


def start_stance(workdir: Path, *args: str) -> subprocess.Popen:
    """A running ``stance`` that takes Ctrl-C as a terminal user's would, also when the tests run as a background
    job (a shell starts those with SIGINT ignored, and the child would inherit that)."""
    return subprocess.Popen(
        stance_argv(workdir, *args),
        cwd=workdir,
        env=stance_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
