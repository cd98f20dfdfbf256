"""What the HTTP benchmarks (portal_throughput.py, registration_contention.py) share: a scratch PostgreSQL
database made by the migrations, gunicorn started and stopped as a subprocess, the peak memory of its
workers, and a small cookie-keeping HTTP client (the standard library's http.client: nothing to install).
Not a benchmark itself: running it does nothing."""
import html
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
VENV_BIN = os.path.dirname(sys.executable)


def scratch_database(name, demo=True):
    """A fresh database ``name``: migrations, reference data and (by default) the demo."""
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # ours: a server left over
        conn.execute(f"CREATE DATABASE {name}")
    env = app_env(name)
    steps = [["db", "upgrade"], ["reference"]] + ([["demo"]] if demo else [])
    for step in steps:
        done = subprocess.run([sys.executable, "-m", "flask", *step], cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"flask {' '.join(step)} failed:\n{done.stderr[-3000:]}")
    return f"{SERVER}/{name}"


def app_env(database, **extra):
    """The environment the app (flask commands, gunicorn) runs with: this database, its own instance
    folder, the login limiter's counters on Redis db 8 (shared by the workers, as in production)."""
    env = {**os.environ, "DATABASE_URL": f"{SERVER}/{database}", "FLASK_APP": "app:create_app",
           "PYTHONPATH": ROOT, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/8"}
    env.setdefault("INSTANCE_DIR", os.path.join(tempfile.gettempdir(), f"bench-{database}"))
    env.pop("REDIS_URL", None)  # no job is started by the pages measured
    env.update(extra)
    return env


def connect(database):
    import psycopg

    return psycopg.connect(f"host=127.0.0.1 user=postgres dbname={database}", autocommit=True)


class Gunicorn:
    """``gunicorn --workers N`` on 127.0.0.1:port serving ``target``; the same settings for every target."""

    def __init__(self, target, port, workers, env, ready_path="/"):
        self.target, self.port, self.workers, self.env, self.ready_path = target, port, workers, env, ready_path
        self.proc = None

    def __enter__(self):
        self.log = open(os.path.join(tempfile.gettempdir(), f"bench-gunicorn-{self.port}.log"), "w")
        self.proc = subprocess.Popen(
            [os.path.join(VENV_BIN, "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers",
             str(self.workers), "--backlog", "2048", "--timeout", "60", self.target],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 240  # four workers importing the app on two busy CPUs
        while time.monotonic() < deadline:
            try:
                status, _h, _b = request(self.port, "GET", self.ready_path)
                if status < 500 and len(self.worker_pids()) == self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn {self.target} did not start (see {self.log.name})")

    def worker_pids(self):
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def peak_rss_mb(self):
        """The largest peak resident size (VmHWM) of the workers, in MB."""
        peaks = []
        for pid in self.worker_pids():
            with open(f"/proc/{pid}/status") as f:
                peaks += [int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM")]
        return max(peaks)

    def cpu_seconds(self):
        """User and system CPU time of the workers so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.worker_pids():
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / ticks

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def request(port, method, path, body=None, headers=None, source=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read().decode("utf-8", "replace")
    finally:
        conn.close()


class Browser:
    """Keeps the cookies; every request from one loopback address ``source`` (the login limit is per IP)."""

    def __init__(self, port, source=None):
        self.port, self.source, self.cookies = port, source, {}

    def cookie_header(self):
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _send(self, method, path, body=None, headers=None):
        headers = {**(headers or {}), "Cookie": self.cookie_header()} if self.cookies else dict(headers or {})
        status, response_headers, text = request(self.port, method, path, body, headers, self.source)
        for name, value in response_headers:
            if name.lower() == "set-cookie":
                key, _eq, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return status, dict((k.lower(), v) for k, v in response_headers), text

    def get(self, path):
        return self._send("GET", path)

    def post(self, path, form):
        body = urllib.parse.urlencode(form)
        return self._send("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})


def csrf_token(page):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    return html.unescape(match.group(1))


def candidate_login(browser, database, account, password):
    """The portal's password login over HTTP; the image code's answer read from the database."""
    _s, _h, page = browser.get("/portal/login")
    token = re.search(r"/portal/captcha/([0-9A-Za-z_-]+)\.png", page).group(1)
    with connect(database) as conn:
        answer = conn.execute("SELECT answer FROM captcha_challenge WHERE token = %s", (token,)).fetchone()[0]
    status, headers, text = browser.post("/portal/login", {"csrf_token": csrf_token(page), "account": account,
                                                           "password": password, "captcha": answer})
    if status != 302 or not headers.get("location", "").endswith("/portal/me"):
        raise RuntimeError(f"login of {account} failed: {status} {text[:300]}")
    return browser
