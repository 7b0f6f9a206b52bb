"""Sign-ins per second against a real `lanward serve`, next to the ceiling Argon2id allows here.

    .venv/bin/python bench/signin_rate.py [--seconds 20] [--workers N] [--users N] [--accounts 50]

What it does, in one run:

1. starts `lanward serve` on a free 127.0.0.1 port with a temporary LANWARD_DATA_DIR (SQLite, or a
   throwaway PostgreSQL database next to DATABASE_URL when that is set), allauth's rate limits off
   and a very high lockout threshold, so that hashing and the request path are measured and not
   throttling; `--workers` defaults to the number of CPU cores;
2. creates `--accounts` users with a verified primary email address in one `lanward manage shell`;
3. drives sign-ins with locust (as a library, headless) from `--users` concurrent users (default
   2 x cores) for `--warmup` + `--seconds` seconds. One sign-in is GET /accounts/login/ (CSRF
   token), POST /accounts/login/ (must answer 302 to /, with a session cookie), POST
   /accounts/logout/ (must answer 302), so each one is a fresh sign-in. Only complete sign-ins
   count; anything else is a failure and is reported with its reason;
4. times one Argon2 verify with the project's own hasher (lanward.accounts.hashers.Argon2idHasher,
   the same parameters the server uses; median of `--verifies`) and derives the ceiling
   cores / verify_seconds: the sign-ins per second this machine could do if it did nothing but
   verify passwords;
5. prints the parameters (checked against OWASP's minimum m=19 MiB, t=2, p=1), cores, the verify
   time, the ceiling, the achieved rate, p50/p95 latency, failures and the ratio.

The server is stopped and the data dir (and any throwaway database) removed whatever happens.
Exit status: 0 when sign-ins succeeded and none failed, 1 otherwise, 2 on a setup error.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

# locust monkey-patches the standard library with gevent when it is imported; the modules above
# are used through their module attributes only, so they pick up the patched versions.
import gevent
from locust import FastHttpUser, constant, task
from locust.env import Environment

from lanward.accounts.hashers import Argon2idHasher

HOST = "127.0.0.1"
OWASP_MIN = {"m": 19456, "t": 2, "p": 1}  # OWASP Password Storage Cheat Sheet, first option
HASH_PARAMS_RE = re.compile(r"\$argon2(?:id|i|d)\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$")
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class SetupError(Exception):
    pass


def cpu_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil
    return ordered[int(rank) - 1]


# --- Argon2 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Argon2Cost:
    m: int
    t: int
    p: int
    verify_s: float
    spread: tuple[float, float]  # fastest, slowest verify


def hasher_params() -> dict[str, int]:
    h = Argon2idHasher
    return {"m": h.memory_cost, "t": h.time_cost, "p": h.parallelism}


def time_argon2_verify(samples: int) -> Argon2Cost:
    """Median time of one verify with the project's hasher (its encode writes its parameters)."""
    hasher = Argon2idHasher()
    password = "bench-" + uuid.uuid4().hex
    encoded = hasher.encode(password, hasher.salt())
    match = HASH_PARAMS_RE.search(encoded)
    if not match:
        raise SetupError(f"unexpected hash format: {encoded[:40]}...")
    m, t, p = (int(x) for x in match.groups())
    if (m, t, p) != (hasher.memory_cost, hasher.time_cost, hasher.parallelism):
        raise SetupError(f"hash has m={m},t={t},p={p}, the hasher class says otherwise")
    hasher.verify(password, encoded)  # warm up (allocation, page faults)
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        ok = hasher.verify(password, encoded)
        times.append(time.perf_counter() - start)
        if not ok:
            raise SetupError("argon2 verify of the right password failed")
    return Argon2Cost(m, t, p, statistics.median(times), (min(times), max(times)))


# --- The server --------------------------------------------------------------------------------


def new_pg_database(base_url: str) -> tuple[str, str]:
    """A fresh PostgreSQL database next to the one in base_url (as tests/conftest.py does)."""
    import psycopg

    parts = urlsplit(base_url)
    name = f"lanward_bench_{uuid.uuid4().hex[:10]}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), admin_url


def drop_pg_database(admin_url: str, url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Server:
    url: str
    env: dict[str, str]
    data_dir: Path
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.data_dir / "server.log"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def start(self, workers: int, threads: int | None, timeout: float = 120) -> None:
        port = urlsplit(self.url).port
        cmd = [sys.executable, "-m", "lanward.cli", "serve", "--host", HOST, "--port", str(port)]
        cmd += ["--workers", str(workers)]
        if threads:
            cmd += ["--threads", str(threads)]
        with open(self.log_path, "wb") as log:
            # Its own session: a Ctrl-C at the terminal reaches us, and we stop the server.
            self.proc = subprocess.Popen(
                cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        import urllib.request  # here, after locust's monkey-patching (it imports ssl)

        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise SetupError(
                    f"lanward serve exited ({self.proc.returncode}):\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SetupError(
                    f"lanward serve did not answer in {timeout:.0f} s:\n{self.log_tail()}"
                )
            time.sleep(0.3)

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()  # gunicorn: graceful stop of the workers (graceful_timeout 5 s)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left of the server's own session (the process group we created): kill it.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def shell(self, code: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "lanward.cli", "manage", "shell", "-c", code],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise SetupError(f"lanward manage shell failed:\n{result.stderr[-3000:]}")
        return result.stdout


CREATE_ACCOUNTS = """
import json
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from lanward.accounts.models import User

emails, password = json.loads({args!r})
with transaction.atomic():
    # One hash each, as set_password would make (own salt), without a save() per user.
    users = User.objects.bulk_create(
        [User(email=e, password=make_password(password)) for e in emails]
    )
    users = list(User.objects.filter(email__in=emails))
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users]
    )
print("BENCH", json.dumps({{
    "users": len(users),
    "verified": EmailAddress.objects.filter(email__in=emails, verified=True).count(),
    "hash": users[0].password.split("$", 1)[1][:40],
}}))
"""


def create_accounts(server: Server, count: int) -> tuple[list[str], str, dict[str, object]]:
    tag = uuid.uuid4().hex[:8]
    emails = [f"bench-{tag}-{i:04d}@example.com" for i in range(count)]
    password = "bench-pass-" + uuid.uuid4().hex
    out = server.shell(CREATE_ACCOUNTS.format(args=json.dumps([emails, password])))
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise SetupError(f"account creation printed nothing useful:\n{out[-2000:]}")
    info: dict[str, object] = json.loads(line[len("BENCH ") :])
    if info["users"] != count or info["verified"] != count:
        raise SetupError(f"wanted {count} verified users, got {info}")
    return emails, password, info


COUNT_EVENTS = """
import json
from django.db.models import Count
from lanward.accounts.models import AccountEvent

rows = AccountEvent.objects.values("kind").annotate(n=Count("id"))
print("BENCH", json.dumps({r["kind"]: r["n"] for r in rows}))
"""


def count_server_events(server: Server) -> dict[str, int]:
    """The server's own account activity log for the whole run: a check on the client's count."""
    out = server.shell(COUNT_EVENTS)
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH ")), None)
    return json.loads(line[len("BENCH ") :]) if line else {}


# --- The load ----------------------------------------------------------------------------------


class FlowError(Exception):
    pass


@dataclass
class Tally:
    """Every finished sign-in attempt: (finished at, ok, whole flow s, login POST s, reason)."""

    records: list[tuple[float, bool, float, float, str]] = field(default_factory=list)

    def add(self, ok: bool, flow_s: float, login_s: float, reason: str = "") -> None:
        self.records.append((time.monotonic(), ok, flow_s, login_s, reason))


class SignInUser(FastHttpUser):
    """One browser-like client signing in and out again, back to back."""

    wait_time = constant(0)
    # Set by run_load before the users are spawned.
    accounts: itertools.cycle[str]
    password: str
    tally: Tally

    @task
    def sign_in(self) -> None:
        email = next(self.accounts)
        start = time.perf_counter()
        login_s = 0.0
        try:
            login_s = self._flow(email)
        except FlowError as exc:
            self.tally.add(False, time.perf_counter() - start, login_s, str(exc))
            self.client.cookiejar.clear()  # start the next one from a clean browser
        except Exception as exc:  # a benchmark reports, it does not stop
            self.tally.add(False, time.perf_counter() - start, login_s, type(exc).__name__)
            self.client.cookiejar.clear()
        else:
            self.tally.add(True, time.perf_counter() - start, login_s)

    def _cookie(self, name: str) -> str | None:
        return next((c.value for c in self.client.cookiejar if c.name == name), None)

    def _flow(self, email: str) -> float:
        with self.client.get("/accounts/login/", catch_response=True, allow_redirects=False) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
                raise FlowError(f"GET /accounts/login/: HTTP {r.status_code}")
            match = CSRF_RE.search(r.text or "")
            if not match:
                r.failure("no CSRF token")
                raise FlowError("GET /accounts/login/: no CSRF token in the form")
        body = urlencode(
            {"csrfmiddlewaretoken": match.group(1), "login": email, "password": self.password}
        )
        login_start = time.perf_counter()
        with self.client.post(
            "/accounts/login/", data=body, headers=FORM, catch_response=True, allow_redirects=False
        ) as r:
            login_s = time.perf_counter() - login_start
            location = r.headers.get("Location") if r.headers else None
            if r.status_code != 302 or location != "/":
                r.failure(f"HTTP {r.status_code} to {location}")
                raise FlowError(f"POST /accounts/login/: HTTP {r.status_code}, Location {location}")
            if not self._cookie("sessionid"):
                r.failure("no session cookie")
                raise FlowError("POST /accounts/login/: no session cookie")
        # Django rotates the CSRF secret on sign-in; the new cookie value is a valid token.
        csrf = self._cookie("csrftoken")
        if not csrf:
            raise FlowError("after sign-in: no csrftoken cookie")
        with self.client.post(
            "/accounts/logout/",
            data=urlencode({"csrfmiddlewaretoken": csrf}),
            headers=FORM,
            catch_response=True,
            allow_redirects=False,
        ) as r:
            if r.status_code != 302:
                r.failure(f"HTTP {r.status_code}")
                raise FlowError(f"POST /accounts/logout/: HTTP {r.status_code}")
        return login_s


@dataclass
class LoadResult:
    window_s: float
    ok_flow_s: list[float]
    ok_login_s: list[float]
    failures: Counter[str]  # over the whole run, warm-up included: none may go unreported
    locust_errors: int


def run_load(
    url: str, emails: list[str], password: str, users: int, warmup: float, seconds: float
) -> LoadResult:
    tally = Tally()
    SignInUser.accounts = itertools.cycle(emails)
    SignInUser.password = password
    SignInUser.tally = tally
    env = Environment(user_classes=[SignInUser], host=url)
    runner = env.create_local_runner()
    try:
        runner.start(users, spawn_rate=users)
        gevent.sleep(warmup)
        window_start = time.monotonic()
        gevent.sleep(seconds)
        window_end = time.monotonic()
    finally:
        runner.quit()  # kills the users; sign-ins in flight are not counted
        runner.greenlet.join(timeout=15)
    in_window = [r for r in tally.records if window_start <= r[0] <= window_end]
    return LoadResult(
        window_s=window_end - window_start,
        ok_flow_s=[r[2] for r in in_window if r[1]],
        ok_login_s=[r[3] for r in in_window if r[1]],
        failures=Counter(r[4] for r in tally.records if not r[1]),
        locust_errors=len(runner.exceptions),
    )


# --- Main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cores = cpu_cores()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="measured duration (20)")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured start (3)")
    parser.add_argument("--workers", type=int, default=cores, help=f"server workers ({cores})")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (serve's)")
    parser.add_argument(
        "--users", type=int, default=2 * cores, help=f"concurrent sign-in clients ({2 * cores})"
    )
    parser.add_argument("--accounts", type=int, default=50, help="accounts to sign in as (50)")
    parser.add_argument("--verifies", type=int, default=30, help="argon2 verifies to time (30)")
    opts = parser.parse_args(argv)
    for name in ("seconds", "workers", "users", "accounts", "verifies"):
        if getattr(opts, name) <= 0:
            parser.error(f"--{name} must be positive")
    if opts.warmup < 0:
        parser.error("--warmup must not be negative")
    opts.cores = cores
    return opts


def check_owasp(params: dict[str, int]) -> bool:
    ok = all(params[k] >= OWASP_MIN[k] for k in OWASP_MIN)
    shown = f"m={params['m']} KiB ({params['m'] / 1024:g} MiB), t={params['t']}, p={params['p']}"
    print(f"argon2id parameters: {shown}  (lanward.accounts.hashers.Argon2idHasher)")
    verdict = "yes" if ok else "NO"
    print(f"  at least OWASP's minimum m=19456 KiB (19 MiB), t=2, p=1: {verdict}")
    return ok


class Interrupted(SystemExit):
    """Ctrl-C or SIGTERM. A SystemExit, so that gevent's hub hands it to the main greenlet
    without printing a traceback; the finally blocks then stop the server and clean up."""


def _interrupt(signum: int, frame: object) -> None:
    raise Interrupted(128 + signum)


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt)

    print("lanward sign-in benchmark")
    params = hasher_params()
    if not check_owasp(params):
        print("refusing to benchmark parameters below OWASP's minimum", file=sys.stderr)
        return 1

    data_dir = Path(tempfile.mkdtemp(prefix="lanward-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANWARD_")}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "LANWARD_DATA_DIR": str(data_dir),
            "LANWARD_SECRET_KEY": "bench-" + uuid.uuid4().hex,
            "LANWARD_DISABLE_RATE_LIMITS": "1",
            "LANWARD_LOCKOUT_THRESHOLD": "1000000",
            "PYTHONUNBUFFERED": "1",
        }
    )
    admin_url = ""
    server = Server(url=f"http://{HOST}:{free_port()}", env=env, data_dir=data_dir)
    try:
        if os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"], admin_url = new_pg_database(os.environ["DATABASE_URL"])
            database = f"PostgreSQL (throwaway database {urlsplit(env['DATABASE_URL']).path[1:]})"
        else:
            database = "SQLite (temporary data dir)"

        cost = time_argon2_verify(opts.verifies)  # before any load, on an idle machine
        ceiling = opts.cores / cost.verify_s

        server.start(opts.workers, opts.threads)
        emails, password, info = create_accounts(server, opts.accounts)
        server_params = HASH_PARAMS_RE.search("$" + str(info["hash"]))
        same = server_params is not None and tuple(map(int, server_params.groups())) == (
            cost.m,
            cost.t,
            cost.p,
        )
        if not same:
            raise SetupError(f"the server hashed with {info['hash']!r}, not m={cost.m},t={cost.t}")

        threads = opts.threads or "serve's default"
        print(f"  the server's stored hashes use the same parameters: {info['hash'][:29]}...")
        load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"cores: {opts.cores} (load average before the run: {load1:.2f})")
        print(f"server: {server.url}, {opts.workers} workers, threads: {threads}, {database}")
        print("  allauth rate limits off, lockout threshold 1000000")
        print(
            f"load: locust, {opts.users} concurrent users, {opts.accounts} verified accounts, "
            f"{opts.warmup:g} s warm-up + {opts.seconds:g} s measured"
        )
        print(
            f"argon2 verify: {cost.verify_s * 1000:.1f} ms (median of {opts.verifies}; "
            f"{cost.spread[0] * 1000:.1f} to {cost.spread[1] * 1000:.1f} ms)"
        )
        print(
            f"argon2 ceiling: {opts.cores} cores / {cost.verify_s:.4f} s = {ceiling:.1f} sign-ins/s"
        )
        sys.stdout.flush()

        result = run_load(server.url, emails, password, opts.users, opts.warmup, opts.seconds)
        server_counts = count_server_events(server)
    except SetupError as exc:
        print(f"setup failed: {exc}", file=sys.stderr)
        return 2
    finally:
        server.stop()
        if admin_url:
            try:
                drop_pg_database(admin_url, env["DATABASE_URL"])
            except Exception as exc:  # report and keep cleaning up
                print(f"could not drop {env['DATABASE_URL']}: {exc}", file=sys.stderr)
        shutil.rmtree(data_dir, ignore_errors=True)

    ok = len(result.ok_flow_s)
    failed = sum(result.failures.values())
    rate = ok / result.window_s
    ms = 1000
    print(f"sign-ins: {ok} successful in {result.window_s:.1f} s = {rate:.1f} sign-ins/s")
    print(
        f"latency, whole sign-in (GET form, POST login, POST logout): "
        f"p50 {percentile(result.ok_flow_s, 50) * ms:.0f} ms, "
        f"p95 {percentile(result.ok_flow_s, 95) * ms:.0f} ms"
    )
    print(
        f"latency, POST /accounts/login/ alone: "
        f"p50 {percentile(result.ok_login_s, 50) * ms:.0f} ms, "
        f"p95 {percentile(result.ok_login_s, 95) * ms:.0f} ms"
    )
    print(
        "server's activity log, whole run incl. warm-up: "
        f"{server_counts.get('login', 0)} signed in, {server_counts.get('logout', 0)} signed out, "
        f"{server_counts.get('login_failed', 0)} failed sign-ins"
    )
    print(f"failures (whole run, warm-up included): {failed}")
    for reason, n in result.failures.most_common(10):
        print(f"  {n} x {reason}")
    if result.locust_errors:
        print(f"  locust reported {result.locust_errors} distinct errors in user code")
    print(f"ratio signins_per_s/argon2_ceiling = {rate / ceiling:.2f}")
    return 0 if ok and not failed else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Interrupted as exc:  # the server is already stopped and the data removed
        print(f"interrupted by signal {int(exc.code or 128) - 128}; server stopped, data removed")
        raise
