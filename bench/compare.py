#!/usr/bin/env python3
"""Compare `konecty-session login-options` with curl (and the Python skill's login.py).

Starts the built-in Konecty-compatible server (`konecty-session dev-server`) on a free
loopback port, then runs these cases in alternation, every round running each case once (in
a rotating order) so that drift on the machine affects all of them alike:

  ours (warm)        konecty-session --host URL login-options --json, with a HOME (and
                     XDG_CACHE_HOME inside it) kept from run to run
  ours (first call)  the same, but every run gets a brand-new, empty HOME and XDG_CACHE_HOME
                     (made before the timer starts, removed after it stops)
  curl               curl -sS --fail URL/api/auth/login-options
  python floor       python3 bench/python_floor.py --host URL: only the interpreter, the
                     standard library's http.client and the request: the least a Python
                     script (login.py included) does for this
  login.py           python3 LOGIN_PY LOGIN_PY_ARGS, only with --login-py

Three warm-up rounds run first and are not counted. A run's time is the wall time from fork
to reaping the process (time.perf_counter_ns); its peak memory is its maximum resident set
size, ru_maxrss from os.wait4. Both are taken by a small separate launcher process (see
LAUNCHER_SOURCE for why), whose own floor is printed. Every run must exit 0 and answer the
login options (ours and curl: JSON with the expected fields), else the script stops: a
benchmark of failures is worthless.

It prints, ready to paste into a README: one line about the machine, a Markdown table
(median and 90th percentile in ms, the ratio of medians to curl, the peak RSS over all runs)
and the issue's targets, each PASS or FAIL with its numbers:

  - warm login-options median <= 1.5 x curl's median
  - first call on a fresh HOME (which compiles the component into the cache): median
    <= 400 ms
  - peak memory of ours, warm (every call after the first) <= 24 MiB; the first call's,
    which includes Cranelift, is in the table
  - ours (warm) at least 15 x faster than login.py (medians)

login.py, the reference script of the konecty-session skill, is not in this repository, and
the skill documents only its request-otp and verify-otp commands. Its command line here is
`python3 LOGIN_PY` followed by --login-py-args (default: "login-options --host {url}"),
split as a shell would and with {url} replaced by the dev server's base URL: check
`python3 login.py --help` and pass whatever makes your copy do the login-options check. Only
its exit status is checked. It runs with its own temporary HOME, so ~/.konecty is never
touched.

Usage (from anywhere; Linux only: it reads /proc):

  python3 bench/compare.py                       # target/release/konecty-session, 50 rounds
  python3 bench/compare.py --runs 30 --login-py ~/skills/konecty-session/scripts/login.py
  python3 bench/compare.py --check               # exit 1 when a target fails

Exit status: 0 (even when a target fails, unless --check), 1 a target failed with --check,
2 the benchmark itself could not run (its one-line reason on stderr). Nothing leaves
127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime
import json
import marshal
import math
import os
import platform
import selectors
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BINARY = REPO_ROOT / "target" / "release" / "konecty-session"
LOGIN_OPTIONS_PATH = "/api/auth/login-options"
WARMUP_ROUNDS = 3
SERVER_START_DEADLINE_S = 10.0
RUN_DEADLINE_S = 60.0

TARGET_WARM_VS_CURL = 1.5
TARGET_FIRST_CALL_MS = 400.0
TARGET_PEAK_RSS_MIB = 24.0
TARGET_SPEEDUP_VS_LOGIN_PY = 15.0

WARM = "ours (warm)"
FIRST_CALL = "ours (first call)"
CURL = "curl"
PYTHON_FLOOR = "python floor"
LOGIN_PY = "login.py"
PYTHON_FLOOR_SCRIPT = REPO_ROOT / "bench" / "python_floor.py"


class BenchError(Exception):
    """The benchmark cannot go on; the message is the one line the user sees."""


# One run's command, its environment, and what to clean up once it has ended.
Prepared = tuple[list[str], dict[str, str], Callable[[], None]]


@dataclass
class Run:
    wall_ms: float
    peak_rss_kib: int


@dataclass
class Case:
    name: str
    prepare: Callable[[], Prepared]
    # Raises BenchError unless stdout is the answer this case must give.
    check_output: Callable[[str], None]
    runs: list[Run] = field(default_factory=list)

    def median_ms(self) -> float:
        return statistics.median(r.wall_ms for r in self.runs)

    def p90_ms(self) -> float:
        # Nearest rank: an observed time, never an interpolated one.
        ordered = sorted(r.wall_ms for r in self.runs)
        return ordered[math.ceil(0.9 * len(ordered)) - 1]

    def peak_rss_mib(self) -> float:
        return max(r.peak_rss_kib for r in self.runs) / 1024


def main() -> int:
    args = parse_args()
    try:
        return benchmark(args)
    except BenchError as error:
        print(f"compare.py: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ncompare.py: interrupted", file=sys.stderr)
        return 130


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--binary",
        type=Path,
        default=DEFAULT_BINARY,
        help="the konecty-session binary (default: %(default)s)",
    )
    parser.add_argument(
        "--runs", type=int, default=50, help="counted rounds, after 3 warm-up rounds (default: 50)"
    )
    parser.add_argument(
        "--login-py",
        type=Path,
        metavar="PATH",
        help="the skill's reference login.py, run with python3; its row is left out without it",
    )
    parser.add_argument(
        "--login-py-args",
        default="login-options --host {url}",
        metavar="ARGS",
        help="arguments for login.py, shell-split, {url} = the dev server (default: %(default)r)",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a target fails"
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def benchmark(args: argparse.Namespace) -> int:
    binary = args.binary.resolve()
    if not os.access(binary, os.X_OK):
        raise BenchError(
            f"no executable at {binary}: build it with `cargo build --release --locked`"
        )
    if shutil.which("curl") is None:
        raise BenchError("curl is not on PATH")
    if args.login_py is not None:
        if not args.login_py.is_file():
            raise BenchError(f"--login-py: no file at {args.login_py}")
        if shutil.which("python3") is None:
            raise BenchError("python3 is not on PATH (needed for --login-py)")

    with tempfile.TemporaryDirectory(prefix="konecty-bench-") as scratch:
        scratch_dir = Path(scratch)
        server, url = start_dev_server(binary, scratch_dir)
        launcher = Launcher(scratch_dir)
        try:
            floor_kib = launcher_floor_kib(launcher)
            cases = make_cases(binary, url, scratch_dir, args)
            measure(cases, args.runs, launcher)
        finally:
            launcher.close()
            stop(server)

    by_name = {case.name: case for case in cases}
    print(machine_line(binary, args.runs))
    print()
    print(results_table(cases, by_name[CURL]))
    print()
    print(
        f"Peak RSS is each process's own (wait4's ru_maxrss); any process started by this "
        f"harness shows at least {floor_kib / 1024:.1f} MiB (`true` measured the same way)."
    )
    if LOGIN_PY not in by_name:
        print("login.py: not measured (no --login-py).")
    print()
    print("Targets:")
    verdicts = targets(by_name)
    for line in verdicts:
        print(f"- {line}")
    failed = any(line.startswith("FAIL") for line in verdicts)
    return 1 if failed and args.check else 0


def start_dev_server(binary: Path, scratch_dir: Path) -> tuple[subprocess.Popen, str]:
    """Starts the dev server on a port the kernel picks and returns it with its base URL.

    With --json the server prints {"url": ...} on stdout once it has bound its port, so no
    port has to be guessed (and no other process can take it in between)."""
    log_path = scratch_dir / "dev-server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [str(binary), "--json", "dev-server", "--listen", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            env=clean_environment(scratch_dir / "dev-server-home"),
        )
    deadline = time.monotonic() + SERVER_START_DEADLINE_S
    try:
        line = read_line_until(server, deadline)
        if not line:
            reason = last_line(log_path) or f"exit status {server.wait()}"
            raise BenchError(f"the dev server did not start: {reason}")
        try:
            url = json.loads(line)["url"]
        except (ValueError, KeyError, TypeError):
            raise BenchError(f"the dev server printed {line!r}, not its URL") from None
        wait_until_accepting(url, deadline)
    except BaseException:
        stop(server)
        raise
    return server, url


def read_line_until(process: subprocess.Popen, deadline: float) -> str:
    """The first line of the process's stdout, "" when it ends first."""
    buffered = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while b"\n" not in buffered:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BenchError(
                    f"the dev server printed no URL within {SERVER_START_DEADLINE_S:.0f} s"
                )
            if not selector.select(remaining):
                continue
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                return ""
            buffered += chunk
    return buffered.split(b"\n", 1)[0].decode()


def wait_until_accepting(url: str, deadline: float) -> None:
    # The URL is printed after bind(), so this is a belt-and-braces check, not a race fix.
    host, port = url.removeprefix("http://").rsplit(":", 1)
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return
        except OSError as error:
            if time.monotonic() >= deadline:
                raise BenchError(f"the dev server at {url} does not accept connections: {error}")
            time.sleep(0.02)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def last_line(path: Path) -> str:
    lines = path.read_text(errors="replace").strip().splitlines()
    return lines[-1] if lines else ""


def clean_environment(home: Path) -> dict[str, str]:
    """This environment with HOME (and the cache) moved and no Konecty settings, which
    would otherwise choose another host, a token or debug logging."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("KONECTY_")
    }
    environment["HOME"] = str(home)
    environment["XDG_CACHE_HOME"] = str(home / ".cache")
    return environment


def make_cases(
    binary: Path, url: str, scratch_dir: Path, args: argparse.Namespace
) -> list[Case]:
    ours = [str(binary), "--host", url, "login-options", "--json"]
    nothing_to_clean: Callable[[], None] = lambda: None

    warm_environment = fresh_home(scratch_dir / "warm-home")

    def warm() -> Prepared:
        return ours, warm_environment, nothing_to_clean

    def first_call() -> Prepared:
        run_dir = Path(tempfile.mkdtemp(prefix="first-call-", dir=scratch_dir))
        environment = fresh_home(run_dir / "home")
        return ours, environment, lambda: shutil.rmtree(run_dir)

    curl_command = ["curl", "-sS", "--fail", url + LOGIN_OPTIONS_PATH]
    curl_environment = clean_environment(scratch_dir / "curl-home")

    def curl() -> Prepared:
        return curl_command, curl_environment, nothing_to_clean

    floor_command = ["python3", str(PYTHON_FLOOR_SCRIPT), "--host", url]
    floor_environment = clean_environment(scratch_dir / "floor-home")

    def python_floor() -> Prepared:
        return floor_command, floor_environment, nothing_to_clean

    cases = [
        Case(WARM, warm, lambda out: check_ours(out, url)),
        Case(FIRST_CALL, first_call, lambda out: check_ours(out, url)),
        Case(CURL, curl, check_server_answer),
        Case(PYTHON_FLOOR, python_floor, check_server_answer),
    ]

    if args.login_py is not None:
        login_py_command = [
            "python3",
            str(args.login_py.resolve()),
            *(part.replace("{url}", url) for part in shlex.split(args.login_py_args)),
        ]
        login_py_environment = fresh_home(scratch_dir / "login-py-home")

        def login_py() -> Prepared:
            return login_py_command, login_py_environment, nothing_to_clean

        # Its output format is its own; exit status 0 is all we can demand of it.
        cases.append(Case(LOGIN_PY, login_py, lambda out: None))
    return cases


def fresh_home(home: Path) -> dict[str, str]:
    environment = clean_environment(home)
    Path(environment["XDG_CACHE_HOME"]).mkdir(parents=True)
    return environment


def check_ours(stdout: str, url: str) -> None:
    answer = parse_json(stdout)
    if answer.get("host") != url:
        raise BenchError(f"login-options answered for host {answer.get('host')!r}, not {url}")
    check_server_answer(stdout)


def check_server_answer(stdout: str) -> None:
    answer = parse_json(stdout)
    for key in ("emailOtpEnabled", "whatsAppOtpEnabled", "passwordEnabled"):
        if not isinstance(answer.get(key), bool):
            raise BenchError(f"the answer has no boolean {key}: {stdout.strip()[:200]!r}")


def parse_json(stdout: str) -> dict:
    try:
        answer = json.loads(stdout)
    except ValueError:
        raise BenchError(f"the answer is not JSON: {stdout.strip()[:200]!r}") from None
    if not isinstance(answer, dict):
        raise BenchError(f"the answer is not a JSON object: {stdout.strip()[:200]!r}")
    return answer


def measure(cases: list[Case], counted_rounds: int, launcher: Launcher) -> None:
    try:
        for round_number in range(WARMUP_ROUNDS + counted_rounds):
            # Rotating the order keeps any case from always following the same one (a warm
            # page cache or a CPU just woken up by the case before).
            shift = round_number % len(cases)
            for case in cases[shift:] + cases[:shift]:
                run = run_once(case, launcher)
                if round_number >= WARMUP_ROUNDS:
                    case.runs.append(run)
            print(".", end="", file=sys.stderr, flush=True)
    finally:
        print(file=sys.stderr)  # ends the line of dots, before any error


def run_once(case: Case, launcher: Launcher) -> Run:
    command, environment, clean_up = case.prepare()
    try:
        status, wall_ns, peak_rss_kib = launcher.run(command, environment)
    finally:
        clean_up()
    output = launcher.stdout_path.read_text(errors="replace")
    if status != 0:
        errors = launcher.stderr_path.read_text(errors="replace").strip()
        reason = errors.splitlines()[-1] if errors else "no message"
        raise BenchError(f"{case.name} exited {status}: {reason} ({shlex.join(command)})")
    try:
        case.check_output(output)
    except BenchError as error:
        raise BenchError(f"{case.name}: {error}") from None
    return Run(wall_ms=wall_ns / 1e6, peak_rss_kib=peak_rss_kib)


# Why a launcher: Linux carries a process's peak RSS across exec(), so a program started
# straight from this script reports at least this script's own RSS (measured: curl showed
# 18 MiB instead of its 11). This small, separate Python forks each run instead; what the
# run inherits from it is its floor, which is measured (with `true`) and printed. It also
# takes the time, from fork to wait4, so the timed span holds no work of this script.
# It reads (argv, env, stdout path, stderr path) and answers the pid, then (exit code,
# nanoseconds, ru_maxrss in KiB); each message is marshal data after a 4-byte length.
LAUNCHER_SOURCE = """
import marshal, os, sys, time

def read_exactly(size):
    data = b""
    while len(data) < size:
        chunk = os.read(0, size - len(data))
        if not chunk:
            sys.exit(0)
        data += chunk
    return data

def send(value):
    data = marshal.dumps(value)
    os.write(1, len(data).to_bytes(4, "big") + data)

while True:
    argv, env, stdout_path, stderr_path = marshal.loads(
        read_exactly(int.from_bytes(read_exactly(4), "big")))
    started = time.perf_counter_ns()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(os.open(stdout_path, os.O_WRONLY | os.O_TRUNC), 1)
            os.dup2(os.open(stderr_path, os.O_WRONLY | os.O_TRUNC), 2)
            os.execvpe(argv[0], argv, env)
        except OSError as error:
            os.write(2, ("cannot run " + argv[0] + ": " + str(error.strerror)).encode())
        os._exit(127)
    send(pid)
    _, status, usage = os.wait4(pid, 0)
    elapsed_ns = time.perf_counter_ns() - started
    send((os.waitstatus_to_exitcode(status), elapsed_ns, usage.ru_maxrss))
"""


class Launcher:
    """Runs commands one at a time through LAUNCHER_SOURCE, for their own time and peak RSS."""

    def __init__(self, scratch_dir: Path):
        self.stdout_path = scratch_dir / "run.stdout"
        self.stderr_path = scratch_dir / "run.stderr"
        self.stdout_path.touch()
        self.stderr_path.touch()
        # -I -S: no site packages, no environment settings; the fewer pages, the lower the floor.
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", LAUNCHER_SOURCE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ)

    def run(self, command: list[str], environment: dict[str, str]) -> tuple[int, int, int]:
        """The exit code, wall time in ns and peak RSS in KiB of one run of command."""
        request = marshal.dumps(
            (command, environment, str(self.stdout_path), str(self.stderr_path))
        )
        self.process.stdin.write(len(request).to_bytes(4, "big") + request)
        self.process.stdin.flush()
        deadline = time.monotonic() + RUN_DEADLINE_S
        try:
            pid = self.receive(deadline)
        except RunTimedOut:
            raise BenchError("the launcher did not start a run") from None
        try:
            return self.receive(deadline)
        except RunTimedOut:
            os.kill(pid, signal.SIGKILL)  # the launcher then reaps it and answers
            self.receive(time.monotonic() + RUN_DEADLINE_S)
            raise BenchError(f"{shlex.join(command)} ran over {RUN_DEADLINE_S:.0f} s") from None

    def receive(self, deadline: float) -> Any:
        size = int.from_bytes(self.read_exactly(4, deadline), "big")
        return marshal.loads(self.read_exactly(size, deadline))

    def read_exactly(self, size: int, deadline: float) -> bytes:
        data = b""
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RunTimedOut()
            if not self.selector.select(remaining):
                continue
            chunk = os.read(self.process.stdout.fileno(), size - len(data))
            if not chunk:
                raise BenchError(f"the launcher ended (exit status {self.process.wait()})")
            data += chunk
        return data

    def close(self) -> None:
        self.selector.close()
        self.process.stdin.close()  # the launcher exits at the end of its input
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


class RunTimedOut(Exception):
    pass


def launcher_floor_kib(launcher: Launcher) -> int:
    true = shutil.which("true")
    if true is None:
        raise BenchError("`true` is not on PATH (needed to measure the RSS floor)")
    status, _, peak_rss_kib = launcher.run([true], dict(os.environ))
    if status != 0:
        raise BenchError(f"{true} exited {status}")
    return peak_rss_kib


def machine_line(binary: Path, counted_rounds: int) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    system = os.uname()
    return (
        f"{now.isoformat().replace('+00:00', 'Z')}; "
        f"{system.sysname} {system.release} {system.machine}; "
        f"{cpu_model()}, {os.cpu_count()} cores, {total_memory_gib():.1f} GiB; "
        f"{counted_rounds} runs per case; "
        f"{binary} ({binary.stat().st_size:,} bytes)"
    )


def cpu_model() -> str:
    for line in read_proc("cpuinfo"):
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Hardware", "Processor"):
            return value.strip()
    return platform.processor() or "unknown CPU"


def total_memory_gib() -> float:
    for line in read_proc("meminfo"):
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2  # the value is in KiB
    raise BenchError("no MemTotal in /proc/meminfo")


def read_proc(name: str) -> list[str]:
    try:
        return Path("/proc", name).read_text().splitlines()
    except OSError as error:
        raise BenchError(f"cannot read /proc/{name} (Linux only): {error.strerror}") from None


def results_table(cases: list[Case], curl: Case) -> str:
    rows = [
        "| case | median ms | p90 ms | vs curl | peak RSS MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    for case in cases:
        ratio = case.median_ms() / curl.median_ms()
        rows.append(
            f"| {case.name} | {case.median_ms():.1f} | {case.p90_ms():.1f} "
            f"| {ratio:.2f}× | {case.peak_rss_mib():.1f} |"
        )
    return "\n".join(rows)


def targets(by_name: dict[str, Case]) -> list[str]:
    warm, first_call, curl = by_name[WARM], by_name[FIRST_CALL], by_name[CURL]
    lines = []

    warm_ratio = warm.median_ms() / curl.median_ms()
    lines.append(
        f"{verdict(warm_ratio <= TARGET_WARM_VS_CURL)} warm login-options within "
        f"{TARGET_WARM_VS_CURL}× curl: {warm.median_ms():.1f} ms vs {curl.median_ms():.1f} ms "
        f"= {warm_ratio:.2f}×"
    )

    lines.append(
        f"{verdict(first_call.median_ms() <= TARGET_FIRST_CALL_MS)} first call on a fresh "
        f"HOME within {TARGET_FIRST_CALL_MS:.0f} ms: median {first_call.median_ms():.1f} ms"
    )

    peak = warm.peak_rss_mib()
    lines.append(
        f"{verdict(peak <= TARGET_PEAK_RSS_MIB)} warm peak memory within "
        f"{TARGET_PEAK_RSS_MIB:.0f} MiB: {peak:.1f} MiB (max RSS over the warm runs; the "
        f"first call, which compiles, peaked at {first_call.peak_rss_mib():.1f} MiB)"
    )

    login_py = by_name.get(LOGIN_PY)
    if login_py is None:
        floor = by_name[PYTHON_FLOOR]
        lines.append(
            f"NOT MEASURED {TARGET_SPEEDUP_VS_LOGIN_PY:.0f}× faster than login.py: "
            f"no --login-py; a Python script that only makes the request "
            f"({PYTHON_FLOOR_SCRIPT.name}) takes {floor.median_ms():.1f} ms = "
            f"{floor.median_ms() / warm.median_ms():.1f}× ours, a lower bound for login.py"
        )
    else:
        speedup = login_py.median_ms() / warm.median_ms()
        lines.append(
            f"{verdict(speedup >= TARGET_SPEEDUP_VS_LOGIN_PY)} at least "
            f"{TARGET_SPEEDUP_VS_LOGIN_PY:.0f}× faster than login.py: "
            f"{login_py.median_ms():.1f} ms vs {warm.median_ms():.1f} ms = {speedup:.1f}×"
        )
    return lines


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


if __name__ == "__main__":
    sys.exit(main())
