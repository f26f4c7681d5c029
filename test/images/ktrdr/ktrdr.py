"""Stand-in for seed 003's KTRDR backend image (ghcr.io/ktrdr/ktrdr-backend): one image, two roles.

  backend   (default)  HTTP on 8000: /api/v1/health (checks Postgres), /metrics (Prometheus text),
                       POST /api/v1/workers/register, GET /api/v1/workers, POST /api/v1/jobs
                       (sends the job to a registered worker of that type, over the network)
  worker    (`uvicorn ktrdr.<type>.worker:app ...`, as seed 003 starts its workers)
                       HTTP on $WORKER_PORT: /health, /metrics (jobs run), POST /jobs (runs the job: one OpenTelemetry
                       span exported over OTLP gRPC to $OTEL_EXPORTER_OTLP_ENDPOINT); registers
                       itself with the backend at $KTRDR_API_URL under $WORKER_PUBLIC_BASE_URL,
                       again every few seconds (the backend keeps its registry in memory)

Secrets are read from files (*_FILE variables), never printed. Standard library, Debian's
psycopg2 and grpcio; the OTLP protobuf message is encoded by hand (a few fields).
"""
import json, os, random, signal, socket, sys, threading, time, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME = os.environ.get("HOSTNAME") or socket.gethostname()


def secret(name):
    path = os.environ.get(name + "_FILE")
    if path:
        with open(path) as f:
            return f.read().strip()
    return os.environ.get(name)


def post(url, body, timeout=5):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"{}")


# --- OTLP/gRPC trace export (opentelemetry.proto.collector.trace.v1.TraceService/Export) --------
def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num, wire, payload):
    key = _varint(num << 3 | wire)
    if wire == 2:
        return key + _varint(len(payload)) + payload
    return key + payload  # wire 1: fixed64, already 8 bytes


def _str(num, s):
    return _field(num, 2, s.encode())


def _kv(key, value):
    return _str(1, key) + _field(2, 2, _str(1, value))  # KeyValue{key, AnyValue{string_value}}; the caller frames it


def export_span(name, attributes):
    """Sends one finished span; returns its trace id (hex)."""
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not endpoint:
        return None
    import grpc

    trace_id, span_id = os.urandom(16), os.urandom(8)
    end = time.time_ns()
    start = end - random.randint(1, 50) * 1_000_000
    span = (_field(1, 2, trace_id) + _field(2, 2, span_id) + _str(5, name) + _varint(6 << 3) + _varint(2)  # kind SERVER
            + _field(7, 1, start.to_bytes(8, "little")) + _field(8, 1, end.to_bytes(8, "little"))
            + b"".join(_field(9, 2, _kv(k, v)) for k, v in attributes.items()))
    resource = b"".join(_field(1, 2, _kv(k, v)) for k, v in {"service.name": os.environ.get("OTEL_SERVICE_NAME", "ktrdr"), "host.name": os.environ.get("WORKER_HOSTNAME", NAME)}.items())
    scope_spans = _field(1, 2, _str(1, "stackyard-ktrdr-standin")) + _field(2, 2, span)
    request = _field(1, 2, _field(1, 2, resource) + _field(2, 2, scope_spans))
    target = endpoint.split("://", 1)[-1]
    with grpc.insecure_channel(target) as channel:
        call = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export", request_serializer=lambda b: b, response_deserializer=lambda b: b)
        call(request, timeout=10)
    return trace_id.hex()


# --- backend ------------------------------------------------------------------------------------
workers = {}  # worker_id -> {worker_id, worker_type, endpoint_url, host, seen}
counters = {"jobs": 0, "job_failures": 0, "registrations": 0}
lock = threading.Lock()


def db_ok():
    import psycopg2
    url = secret("DATABASE_URL")
    if not url:
        return True
    conn = psycopg2.connect(url, connect_timeout=3)
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
    conn.close()
    return True


class Backend(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"{}")

    def do_GET(self):
        if self.path == "/api/v1/health":
            try:
                db_ok()
                self.send(200, {"status": "ok", "backend": NAME})
            except Exception as e:  # noqa: BLE001 - reported, never the secret
                self.send(503, {"status": "unhealthy", "error": type(e).__name__})
        elif self.path == "/api/v1/workers":
            with lock:
                self.send(200, sorted(workers.values(), key=lambda w: w["worker_id"]))
        elif self.path == "/metrics":
            with lock:
                lines = ["# TYPE ktrdr_workers_registered gauge"]
                types = sorted({w["worker_type"] for w in workers.values()})
                lines += [f'ktrdr_workers_registered{{type="{t}"}} {sum(1 for w in workers.values() if w["worker_type"] == t)}' for t in types]
                lines += ["# TYPE ktrdr_jobs_total counter", f"ktrdr_jobs_total {counters['jobs']}",
                          "# TYPE ktrdr_job_failures_total counter", f"ktrdr_job_failures_total {counters['job_failures']}"]
            self.send(200, "\n".join(lines) + "\n", "text/plain; version=0.0.4")
        else:
            self.send(404, {"error": "not found"})

    def do_POST(self):
        if self.path == "/api/v1/workers/register":
            w = self.body()
            if not all(isinstance(w.get(k), str) and w.get(k) for k in ("worker_id", "worker_type", "endpoint_url")):
                return self.send(400, {"error": "worker_id, worker_type and endpoint_url are required"})
            with lock:
                workers[w["worker_id"]] = {k: w.get(k) for k in ("worker_id", "worker_type", "endpoint_url", "host")} | {"seen": time.time()}
                counters["registrations"] += 1
            self.send(200, {"registered": w["worker_id"]})
        elif self.path == "/api/v1/jobs":
            job = self.body()
            with lock:
                candidates = [w for w in workers.values() if w["worker_type"] == job.get("type") and (not job.get("host") or w["host"] == job.get("host"))]
            if not candidates:
                return self.send(503, {"error": f"no registered worker of type {job.get('type')}"})
            w = random.choice(candidates)
            try:
                result = post(w["endpoint_url"] + "/jobs", {"type": job.get("type"), "payload": job.get("payload")}, timeout=15)
                with lock:
                    counters["jobs"] += 1
                self.send(200, {"worker": w, "result": result})
            except Exception as e:  # noqa: BLE001
                with lock:
                    counters["job_failures"] += 1
                self.send(502, {"error": f"worker {w['worker_id']} at {w['endpoint_url']} failed: {type(e).__name__}"})
        else:
            self.send(404, {"error": "not found"})


# --- worker -------------------------------------------------------------------------------------
def worker_identity(module):
    kind = os.environ.get("WORKER_TYPE") or module.split(".")[1]
    host = os.environ.get("WORKER_HOSTNAME", NAME)
    port = int(os.environ.get("WORKER_PORT", "5003"))
    return {"worker_id": f"{kind}@{host}:{port}", "worker_type": kind, "endpoint_url": os.environ.get("WORKER_PUBLIC_BASE_URL", f"http://{host}:{port}"), "host": host}, port


class Worker(Backend):
    identity = {}
    jobs = 0

    def do_GET(self):
        if self.path == "/health":
            self.send(200, {"status": "ok", **self.identity})
        elif self.path == "/metrics":
            with lock:
                n = Worker.jobs
            kind = self.identity["worker_type"]
            self.send(200, f'# TYPE ktrdr_worker_jobs_total counter\nktrdr_worker_jobs_total{{type="{kind}"}} {n}\n', "text/plain; version=0.0.4")
        else:
            self.send(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/jobs":
            return self.send(404, {"error": "not found"})
        job = self.body()
        trace = export_span(f"{self.identity['worker_type']} job", {"worker.id": self.identity["worker_id"], "job.payload": str(job.get("payload", ""))})
        with lock:
            Worker.jobs += 1
        self.send(200, {**self.identity, "container": NAME, "trace_id": trace})


def register_forever(identity):
    api = os.environ.get("KTRDR_API_URL")
    if not api:
        return
    while True:
        try:
            post(api.rstrip("/") + "/api/v1/workers/register", identity)
            time.sleep(10)
        except Exception:  # noqa: BLE001 - the backend may not be up yet
            time.sleep(2)


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    args = sys.argv[1:]
    if args and args[0] == "worker":
        identity, port = worker_identity(args[1] if len(args) > 1 else "ktrdr.backtesting.worker:app")
        Worker.identity = identity
        threading.Thread(target=register_forever, args=(identity,), daemon=True).start()
        ThreadingHTTPServer(("0.0.0.0", port), Worker).serve_forever()
    else:
        ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8000"))), Backend).serve_forever()


if __name__ == "__main__":
    main()
