"""stackyard demo app: one image, several roles.

  serve     HTTP on $PORT (default 8000): / reports the replica, /health checks Postgres and Redis
  prestart  creates the schema and records that it ran (exits 1 when FAIL=1)
  worker    loops, recording heartbeats in Redis

Secrets are read from files (/run/secrets/..., named by *_FILE variables), never printed.
"""
import json, os, signal, socket, sys, time
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

    def do_GET(self):
        if "health" in self.path:
            try:
                healthy()
                self.send(200, {"status": "ok", "replica": NAME})
            except Exception as e:  # noqa: BLE001 - report, never the secret
                self.send(503, {"status": "unhealthy", "error": type(e).__name__})
            return
        secrets = sorted(os.listdir("/run/secrets")) if os.path.isdir("/run/secrets") else []
        self.send(200, {"replica": NAME, "version": os.environ.get("APP_VERSION"), "path": self.path, "secret_files": secrets})


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
    print(f"{NAME} serving on :{port}", flush=True)
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
