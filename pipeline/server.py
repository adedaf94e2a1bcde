"""The team set-up: a PostgreSQL cluster under the project and ``mlflow server`` on it, both bound to 127.0.0.1.

``python -m pipeline.server start`` (``make server``) creates the cluster on first use, starts both in the
background and returns once the server answers; ``python -m pipeline.server stop`` (``make server-stop``) ends both.
"""
from __future__ import annotations

import argparse
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from pipeline.types import StanceError

DB_USER = "mlflow"
DB_NAME = "mlflow"
DEFAULT_ROOT = Path(".pg")


@dataclass(frozen=True)
class ServerLayout:
    """Where everything lives: PostgreSQL owns ``data/`` and its log; the MLflow server owns the rest."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def password(self) -> Path:
        return self.root / "password"

    @property
    def postgres_log(self) -> Path:
        return self.root / "postgres.log"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def mlflow_log(self) -> Path:
        return self.root / "mlflow.log"

    @property
    def mlflow_pid(self) -> Path:
        return self.root / "mlflow.pid"


def postgres_bin(name: str) -> Path:
    """A PostgreSQL server program from Debian's ``postgresql`` (newest major version), else from $PATH."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if candidates:
        return candidates[-1]
    found = shutil.which(name)
    if found:
        return Path(found)
    raise StanceError(f"PostgreSQL program {name!r} not found: install the server with 'apt-get install -y postgresql'")


def _db_account() -> str | None:
    """PostgreSQL refuses to run as root, so as root its programs run as ``postgres`` (or ``nobody``)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise StanceError("running as root, but there is no 'postgres' or 'nobody' account to run PostgreSQL as")


def _run_as_db_account(command: list[str]) -> subprocess.CompletedProcess:
    account = _db_account()
    full = ["runuser", "-u", account, "--", *command] if account else command
    result = subprocess.run(full, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise StanceError(f"{Path(command[0]).name} failed: {message[-1] if message else f'exit {result.returncode}'}")
    return result


def _give_to_db_account(path: Path) -> None:
    account = _db_account()
    if account:
        entry = pwd.getpwnam(account)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _check_reachable(root: Path) -> None:
    """The database account must be able to enter every folder above the cluster."""
    account = _db_account()
    for folder in [*root.resolve().parents][::-1]:
        if account and not folder.stat().st_mode & 0o001:
            raise StanceError(f"{folder}: the {account!r} account cannot enter this folder; choose a cluster root it can reach")


def init_cluster(layout: ServerLayout) -> None:
    """Create the cluster once: superuser ``mlflow`` with a random password, password logins only."""
    if (layout.data / "PG_VERSION").exists():
        return
    layout.root.mkdir(parents=True, exist_ok=True)
    _check_reachable(layout.root)
    layout.root.chmod(0o755)  # the database account must reach data/ through it
    layout.data.mkdir(mode=0o700, exist_ok=True)
    layout.password.write_text(secrets.token_urlsafe(24), encoding="utf-8")
    layout.password.chmod(0o600)
    layout.postgres_log.touch()
    for path in (layout.data, layout.password, layout.postgres_log):
        _give_to_db_account(path)
    _run_as_db_account([
        str(postgres_bin("initdb")), "-D", str(layout.data), "-U", DB_USER, "--pwfile", str(layout.password),
        "--auth", "scram-sha-256", "--encoding", "UTF8", "--no-instructions",
    ])


def start_postgres(layout: ServerLayout, port: int) -> str:
    """Start the cluster on 127.0.0.1:``port`` (TCP only, no Unix socket), create the database; return its URI."""
    init_cluster(layout)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories=''"
    _run_as_db_account([
        str(postgres_bin("pg_ctl")), "-D", str(layout.data), "-l", str(layout.postgres_log), "-o", options, "-w", "-t", "60", "start",
    ])
    _create_database(port, layout.password.read_text(encoding="utf-8"))
    return f"postgresql+psycopg2://{DB_USER}@127.0.0.1:{port}/{DB_NAME}"


def _create_database(port: int, password: str) -> None:
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", port=port, user=DB_USER, password=password, dbname="postgres")
    connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        connection.close()


def stop_postgres(layout: ServerLayout) -> None:
    if (layout.data / "postmaster.pid").exists():
        _run_as_db_account([str(postgres_bin("pg_ctl")), "-D", str(layout.data), "-m", "fast", "-w", "stop"])


def start_mlflow(layout: ServerLayout, backend_uri: str, port: int, timeout: float = 180.0) -> str:
    """``mlflow server`` in its own process group, artifacts proxied into ``artifacts/``; wait until it answers."""
    layout.artifacts.mkdir(parents=True, exist_ok=True)
    environment = os.environ | {"PGPASSWORD": layout.password.read_text(encoding="utf-8")}  # kept off the command line
    command = [
        sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend_uri,
        "--artifacts-destination", str(layout.artifacts.resolve()), "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
    ]
    with layout.mlflow_log.open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment, start_new_session=True)
    layout.mlflow_pid.write_text(str(process.pid), encoding="utf-8")
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = layout.mlflow_log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
            raise StanceError(f"mlflow server exited with code {process.returncode}: {tail[0] if tail else 'no output'} (see {layout.mlflow_log})")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return url
        except OSError:
            time.sleep(0.5)
    stop_mlflow(layout)
    raise StanceError(f"mlflow server on {url} did not answer within {timeout:.0f}s (see {layout.mlflow_log})")


def stop_mlflow(layout: ServerLayout, timeout: float = 20.0) -> None:
    """SIGTERM the server's process group (it has worker children), SIGKILL if it lingers."""
    if not layout.mlflow_pid.exists():
        return
    pid = int(layout.mlflow_pid.read_text(encoding="utf-8"))
    layout.mlflow_pid.unlink()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                return
            _reap(pid)
            time.sleep(0.2)


def _reap(pid: int) -> None:
    """Collect the exit status when the server is our own child, so it does not linger as a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _mlflow_running(layout: ServerLayout) -> bool:
    try:
        os.killpg(int(layout.mlflow_pid.read_text(encoding="utf-8")), 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return False
    return True


def start(layout: ServerLayout, port: int, pg_port: int) -> str:
    """PostgreSQL, then the MLflow server on it; if the server fails, PostgreSQL is stopped again."""
    if _mlflow_running(layout):
        raise StanceError(f"{layout.root}: the MLflow server started from here is still running; stop it first (make server-stop)")
    backend = start_postgres(layout, pg_port)
    try:
        return start_mlflow(layout, backend, port)
    except BaseException:
        stop_postgres(layout)
        raise


def stop(layout: ServerLayout) -> None:
    stop_mlflow(layout)
    stop_postgres(layout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.server", description=__doc__)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="cluster, artifacts and logs (default: .pg)")
    parser.add_argument("--port", type=int, default=5000, help="MLflow server port (default: 5000)")
    parser.add_argument("--pg-port", type=int, default=55432, help="PostgreSQL port (default: 55432)")
    args = parser.parse_args(argv)
    layout = ServerLayout(args.root.resolve())
    try:
        if args.action == "start":
            url = start(layout, args.port, args.pg_port)
            print(f"MLflow server on {url} (PostgreSQL on 127.0.0.1:{args.pg_port}, artifacts in {layout.artifacts})")
            print(f"use it with: MLFLOW_TRACKING_URI={url} make train   stop it with: make server-stop")
        else:
            stop(layout)
            print("stopped the MLflow server and PostgreSQL")
        return 0
    except StanceError as err:
        print(f"server: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
