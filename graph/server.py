"""The project's own local Neo4j Community server (no Docker).

`neo4j/pom.xml` fetches `org.neo4j:neo4j` and its runtime jars into `neo4j/lib`;
`neo4j/LocalNeo4j.java` is a single-file launcher that embeds the DBMS with Bolt on
127.0.0.1, authentication on and LOAD CSV barred from local files. The password of its one
account (`neo4j`) is generated on first start into `<data>/password` (mode 0600; for the demo
server that is `var/neo4j/password`) and handed to the JVM through its environment, never its
command line. This module starts it in the background, records its pid and port in a
state file beside its data, waits for the ready line, and stops it with SIGTERM so
the store shuts down cleanly. Every failure is an error that says what to do.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
NEO4J_DIR = ROOT / "neo4j"
LIB_DIR = NEO4J_DIR / "lib"
LAUNCHER = NEO4J_DIR / "LocalNeo4j.java"
DEFAULT_DATA = ROOT / "var" / "neo4j"
DEFAULT_PORT = 17687
READY_MARK = "NEO4J READY "
AUTH_USER = "neo4j"
JVM_FLAGS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-XX:+UseG1GC",
)


class ServerError(RuntimeError):
    """The local server could not be started, reached or stopped; the message says why and what to do."""


@dataclass(frozen=True)
class ServerState:
    pid: int
    port: int
    data_dir: str
    started_at: float

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _port_open(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """One local Neo4j server: a data directory, a port, a pid file and a log."""

    def __init__(self, data_dir: str | os.PathLike | None = None, port: int | None = None,
                 heap: str | None = None, pagecache_mb: int | None = None,
                 import_dir: str | os.PathLike | None = None) -> None:
        """`import_dir`: only for benchmarks on a throw-away server: LOAD CSV may read file:/// URLs
        below it (by default file URLs are off and there is no import directory)."""
        self.data_dir = Path(data_dir or os.environ.get("NEO4J_LOCAL_DATA") or DEFAULT_DATA).resolve()
        self.port = int(port or os.environ.get("NEO4J_LOCAL_PORT") or DEFAULT_PORT)
        self.heap = heap or os.environ.get("NEO4J_LOCAL_HEAP", "2g")
        self.pagecache_mb = int(pagecache_mb or os.environ.get("NEO4J_LOCAL_PAGECACHE_MB", "1024"))
        self.state_file = self.data_dir / "server.json"
        self.log_file = self.data_dir / "neo4j.log"
        self.password_file = self.data_dir / "password"
        self.import_dir = Path(import_dir).resolve() if import_dir else None

    def password(self, create: bool = True) -> str | None:
        """The local server's password: read from its file, generated (0600) on first use."""
        try:
            pw = self.password_file.read_text().strip()
            if pw:
                return pw
        except OSError:
            pass
        if not create:
            return None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pw = secrets.token_urlsafe(24)
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(pw + "\n")
        logger.info("generated the local Neo4j password into %s", self.password_file)
        return pw

    # -- state -------------------------------------------------------------------
    def state(self) -> ServerState | None:
        """The recorded server if its process is still alive; clears a stale record."""
        try:
            raw = json.loads(self.state_file.read_text())
            st = ServerState(int(raw["pid"]), int(raw["port"]), raw["data_dir"], float(raw["started_at"]))
        except (OSError, ValueError, KeyError):
            return None
        if not _pid_alive(st.pid):
            logger.info("removing stale server record for pid %s", st.pid)
            self.state_file.unlink(missing_ok=True)
            return None
        return st

    def is_running(self) -> bool:
        st = self.state()
        return st is not None and _port_open(st.port)

    # -- start / stop ------------------------------------------------------------
    def _check_prerequisites(self) -> str:
        java = shutil.which("java")
        if not java:
            raise ServerError("Java 17+ is not installed: run `make setup` (as root it installs "
                              "openjdk-17-jre-headless) or `apt-get install openjdk-17-jre-headless`.")
        if not LIB_DIR.is_dir() or not any(LIB_DIR.glob("neo4j-5*.jar")):
            raise ServerError(f"Neo4j jars are missing from {LIB_DIR}: run `make setup` "
                              "(it runs `mvn -f neo4j/pom.xml package`; needs Maven).")
        return java

    def start(self, timeout: float | None = None) -> ServerState:
        """Start the server, or return the one already running on this data directory.

        `timeout` default: NEO4J_LOCAL_START_TIMEOUT seconds, else 180 (a busy shared machine needs more)."""
        timeout = float(timeout or os.environ.get("NEO4J_LOCAL_START_TIMEOUT") or 180.0)
        st = self.state()
        if st is not None:
            if _port_open(st.port):
                logger.info("reusing local Neo4j pid %s at %s", st.pid, st.uri)
                return st
            raise ServerError(f"a local Neo4j (pid {st.pid}) owns {self.data_dir} but does not answer on "
                              f"port {st.port}; see {self.log_file}, then `python -m graph stop`.")
        java = self._check_prerequisites()
        if _port_open(self.port):
            raise ServerError(f"port {self.port} on 127.0.0.1 is in use by another program: "
                              f"choose another with `--port N` or NEO4J_LOCAL_PORT.")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [java, f"-Xmx{self.heap}", *JVM_FLAGS, "-cp", str(LIB_DIR / "*"), str(LAUNCHER),
               str(self.data_dir / "home"), str(self.port), str(self.pagecache_mb)]
        logger.info("starting local Neo4j on port %s (data %s)", self.port, self.data_dir)
        log = open(self.log_file, "ab")
        log.write(f"\n--- start {time.strftime('%Y-%m-%d %H:%M:%S')} port {self.port}\n".encode())
        log.flush()
        offset = self.log_file.stat().st_size
        env = {**os.environ, "NEO4J_LOCAL_AUTH_PASSWORD": self.password() or ""}
        env.pop("NEO4J_LOCAL_IMPORT_DIR", None)
        if self.import_dir:
            env["NEO4J_LOCAL_IMPORT_DIR"] = str(self.import_dir)
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=str(ROOT), env=env)
        log.close()
        st = ServerState(proc.pid, self.port, str(self.data_dir), time.time())
        self.state_file.write_text(json.dumps(st.__dict__))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = proc.poll()
            text = self._log_since(offset)
            if READY_MARK in text and _port_open(self.port):
                logger.info("local Neo4j ready at %s", st.uri)
                return st
            if code is not None:
                self.state_file.unlink(missing_ok=True)
                raise ServerError(f"local Neo4j exited with code {code} while starting; last log lines:\n"
                                  f"{self._tail(text)}\nFull log: {self.log_file}")
            time.sleep(0.3)
        self._terminate(proc.pid, grace=20)
        self.state_file.unlink(missing_ok=True)
        raise ServerError(f"local Neo4j did not become ready within {timeout:.0f}s; see {self.log_file}")

    def import_full(self, nodes: list[tuple[str, list[Path]]], relationships: list[tuple[str, list[Path]]],
                    report: Path, database: str = "neo4j", timeout: float = 3600.0) -> str:
        """`neo4j-admin database import full` from the jars in neo4j/lib into this server's store.

        The server is stopped for the import (the tool writes the store files itself) and started
        again afterwards, on the same port. `nodes`/`relationships`: (label or type, [header file,
        data files...]). The caller checks the database was empty: this REPLACES it. Returns the
        tool's output (counts, timings); raises ServerError with its last lines when it fails.
        """
        java = self._check_prerequisites()
        was_running = self.stop()
        home = self.data_dir / "home"
        conf = self.data_dir / "admin-conf"
        conf.mkdir(parents=True, exist_ok=True)
        # an empty neo4j.conf: the same defaults (store under NEO4J_HOME/data) the launcher uses
        (conf / "neo4j.conf").write_text("")
        cmd = [java, "-Xmx1g", *JVM_FLAGS, "-cp", str(LIB_DIR / "*"), "org.neo4j.cli.AdminTool",
               "database", "import", "full", database, "--overwrite-destination=true", "--array-delimiter=U+001F",
               "--multiline-fields=true", f"--report-file={report}", "--threads=2"]
        cmd += [f"--nodes={lab}={','.join(str(f) for f in files)}" for lab, files in nodes]
        # the database name comes first: after --nodes it would be read as one more file
        cmd += [f"--relationships={typ}={','.join(str(f) for f in files)}" for typ, files in relationships]
        logger.info("neo4j-admin database import full into %s", home)
        env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(conf)}
        out = subprocess.run(cmd, cwd=str(self.data_dir), env=env, capture_output=True, text=True, timeout=timeout)
        text = (out.stdout or "") + (out.stderr or "")
        if out.returncode != 0:  # the store is left unusable: say so rather than restart on it
            raise ServerError(f"neo4j-admin import failed (exit {out.returncode}); delete {home}/data/databases/"
                              f"{database} and {home}/data/transactions/{database} before starting the server "
                              f"again:\n{self._tail(text, 40)}")
        if was_running:
            self.start()
        return text

    def stop(self, grace: float = 60.0) -> bool:
        """Stop the recorded server; True if one was running."""
        st = self.state()
        if st is None:
            return False
        self._terminate(st.pid, grace)
        self.state_file.unlink(missing_ok=True)
        return True

    @staticmethod
    def _terminate(pid: int, grace: float) -> None:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:  # reap our own child so it does not linger as a zombie
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            if not _pid_alive(pid):
                return
            time.sleep(0.2)
        logger.warning("local Neo4j pid %s ignored SIGTERM for %.0fs; killing it", pid, grace)
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    # -- log helpers -------------------------------------------------------------
    def _log_since(self, offset: int) -> str:
        try:
            with open(self.log_file, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    @staticmethod
    def _tail(text: str, n: int = 25) -> str:
        return "\n".join(text.strip().splitlines()[-n:])


def main_status(server: LocalServer) -> str:
    st = server.state()
    if st is None:
        return f"not running (data {server.data_dir})"
    alive = "answering" if _port_open(st.port) else "NOT answering"
    return f"running pid {st.pid}, {alive} at {st.uri} (data {st.data_dir}, log {server.log_file})"


if __name__ == "__main__":  # pragma: no cover - use `python -m graph`
    sys.exit("use: python -m graph start|stop|status|reset")
