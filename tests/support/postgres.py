"""A throwaway PostgreSQL server (Debian's binaries) on a free port, for the tests that need the real thing."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.processes import free_port


def binaries() -> Path | None:
    """Debian's PostgreSQL server binaries, newest version first, if installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(found[0]).parent if found else None


class PostgresServer:
    def __init__(self) -> None:
        bindir = binaries()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed: `make test` installs it (apt-get install postgresql)")
        # The server refuses to run as root; as root, run it as Debian's `postgres` user in a folder it owns.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.folder = Path(tempfile.mkdtemp(prefix="moderation-pg-"))
        if self.as_user:
            pg = pwd.getpwnam("postgres")
            os.chown(self.folder, pg.pw_uid, pg.pw_gid)
        self.data = self.folder / "data"
        self.port = free_port()
        self.bindir = bindir
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "moderation", "--no-sync", "-E", "UTF8")
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off",
            "start",
        )
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "moderation", "moderation")
        self.url = f"postgresql+psycopg://moderation@127.0.0.1:{self.port}/moderation"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bindir / tool), *args], check=True, capture_output=True, cwd=self.folder
        )

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "moderation", name)
        return f"postgresql+psycopg://moderation@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
