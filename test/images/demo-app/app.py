"""stackyard demo app: one image, several roles.

  serve     HTTP on $PORT (default 8000): / reports the replica (?delay=<seconds> answers later, GET
            and POST), /health checks Postgres and Redis (an image built with HEALTHY=0 always
            fails it). SIGTERM stops accepting connections, lets requests in flight finish, exits.
  prestart  creates the schema and records that it ran (exits 1 when FAIL=1)
  worker    loops, recording heartbeats in Redis

Secrets are read from files (/run/secrets/..., named by *_FILE variables), never printed.
"""
import json, os, select, signal, socket, sys, threading, time
from urllib.parse import parse_qs, urlparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE = sys.argv[1] if len(sys.argv) > 1 else "serve"
NAME = os.environ.get("HOSTNAME") or socket.gethostname()


def secret(name):
    path = os.environ.get(name + "_FILE")
    if path:
        with open(path) as f:
            return f.read().strip()
    return os.environ.get(name)


def db():
    import psycopg2
    url = secret("DATABASE_URL")
    if not url:
        return None
    return psycopg2.connect(url, connect_timeout=3)


def record(kind, wait=0):
    """Inserts an event; with `wait`, retries for that many seconds while the database cannot be
    reached (a busy host: the container is healthy, a connection still times out). Errors of the
    statements themselves (a trigger refusing the insert) are never retried."""
    import psycopg2
    deadline = time.time() + wait
    while True:
        try:
            conn = db()
            break
        except psycopg2.OperationalError as e:
            if time.time() >= deadline:
                raise
            print("waiting for the database:", type(e).__name__, flush=True)
            time.sleep(1)
    if conn is None:
        return
    with conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS events (id serial PRIMARY KEY, kind text NOT NULL, name text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())")
        cur.execute("INSERT INTO events (kind, name) VALUES (%s, %s)", (kind, NAME))
    conn.close()


def redis_client():
    url = secret("REDIS_URL")
    if not url:
        return None
    import redis
    return redis.Redis.from_url(url, socket_timeout=3)


def healthy():
    conn = db()
    if conn is not None:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
        conn.close()
    r = redis_client()
    if r is not None:
        r.ping()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.answer(received=len(body))

    def do_GET(self):
        if "health" in self.path:
            if os.environ.get("APP_HEALTHY") == "0":
                self.send(503, {"status": "unhealthy", "error": "this image is built to fail its healthcheck (HEALTHY=0)"})
                return
            try:
                healthy()
                self.send(200, {"status": "ok", "replica": NAME})
            except Exception as e:  # noqa: BLE001 - report, never the secret
                self.send(503, {"status": "unhealthy", "error": type(e).__name__})
            return
        self.answer()

    def answer(self, **extra):
        delay = parse_qs(urlparse(self.path).query).get("delay", ["0"])[0]
        time.sleep(min(float(delay), 30.0))
        secrets = sorted(os.listdir("/run/secrets")) if os.path.isdir("/run/secrets") else []
        self.send(200, {"replica": NAME, "version": os.environ.get("APP_VERSION"), "path": self.path, "secret_files": secrets, **extra})


def main():
    # PID 1 ignores SIGTERM unless it handles it: stop at once, as a real app should
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if ROLE == "prestart":
        record("prestart-begin", wait=60)
        time.sleep(float(os.environ.get("PRESTART_SECONDS", "1")))
        if os.environ.get("FAIL") == "1":
            print("prestart: failing on purpose (FAIL=1)", flush=True)
            sys.exit(1)
        record("prestart-done")
        print("prestart: done", flush=True)
        return
    if ROLE == "worker":
        r = redis_client()
        while True:
            if r is not None:
                r.set("heartbeat:" + NAME, str(time.time()))
            time.sleep(5)
    for attempt in range(30):
        try:
            record("start")
            break
        except Exception as e:  # noqa: BLE001
            print("waiting for the database:", type(e).__name__, flush=True)
            time.sleep(1)
    port = int(os.environ.get("PORT", "8000"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = False  # server_close() waits for requests in flight

    def drain(*_):
        # serve_forever() returns, then server_close() closes the socket (new connections are
        # refused, so the proxy retries them elsewhere) and waits for the requests in flight
        print(f"{NAME} stopping: finishing requests in flight", flush=True)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, drain)
    print(f"{NAME} serving on :{port}", flush=True)
    server.serve_forever(poll_interval=0.1)
    # connections already waiting in the backlog are served too, then the socket closes: a
    # connection the kernel accepted is never reset with its request unanswered
    while select.select([server.socket], [], [], 0)[0]:
        server._handle_request_noblock()
    server.server_close()
    print(f"{NAME} stopped", flush=True)


if __name__ == "__main__":
    main()
