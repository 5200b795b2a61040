"""A local OpenAI-compatible chat-completions server, for wire tests, throughput benchmarks and dry runs.

It speaks `POST /v1/chat/completions` (non-streamed) on 127.0.0.1 from a thread, so inspect's `openai-api`
provider talks to it exactly as to vLLM or llama.cpp. What it answers is a function of the request body:
`Reply(status, content, delay, raw)`; the default answers every request with a fixed verdict after `latency`
seconds. It counts requests and measures concurrency (time-weighted mean and peak of requests in flight).

    with LocalChatServer(latency=0.05) as server:
        os.environ["LOCAL_API_KEY"] = "x"
        model = role_model("openai-api/local/fake", base_url=server.base_url)

    python -m proctor.llm.local_server --port 8000 --latency 0.2     # serve until interrupted
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    """HTTP status (429 and 5xx are what real servers send under load)."""
    content: str = "<answer>A</answer>\n<probability>0.7</probability>"
    """The assistant message."""
    delay: float = 0.0
    """Seconds to wait before answering (a slow model)."""
    raw: bytes | None = None
    """Send these bytes as the body instead of a JSON completion (malformed replies)."""
    logprobs: list | None = None
    """[(token, logprob, [(alt_token, alt_logprob), ...]), ...] returned when the request asks for logprobs."""


def default_reply(body: dict) -> Reply:
    return Reply()


def last_user_text(body: dict) -> str:
    msgs = [m for m in body.get("messages", []) if m.get("role") == "user"]
    if not msgs:
        return ""
    c = msgs[-1].get("content")
    return c if isinstance(c, str) else " ".join(p.get("text", "") for p in c if isinstance(p, dict))


def completion_json(body: dict, reply: Reply) -> bytes:
    choice = {"index": 0, "message": {"role": "assistant", "content": reply.content}, "finish_reason": "stop",
              "logprobs": None}
    if body.get("logprobs") and reply.logprobs:
        choice["logprobs"] = {"content": [
            {"token": t, "logprob": lp, "bytes": list(t.encode()),
             "top_logprobs": [{"token": a, "logprob": alp, "bytes": list(a.encode())} for a, alp in alts]}
            for t, lp, alts in reply.logprobs]}
    n = len(reply.content.split())
    return json.dumps({"id": "chatcmpl-local", "object": "chat.completion", "created": int(time.time()),
                       "model": body.get("model", "local"), "choices": [choice],
                       "usage": {"prompt_tokens": 10, "completion_tokens": n, "total_tokens": 10 + n}}).encode()


class LocalChatServer:
    """Serve `reply(body) -> Reply` on 127.0.0.1 in a background thread (a context manager)."""

    def __init__(self, reply: Callable[[dict], Reply] = default_reply, latency: float = 0.0, port: int = 0):
        self.reply, self.latency = reply, latency
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._inflight = 0
        self.peak_inflight = 0
        self._area = 0.0  # integral of in-flight count over time
        self._t_last = None
        self._t_first = None
        self._t_end = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                server._enter(body)
                try:
                    r = server.reply(body)
                    time.sleep(server.latency + r.delay)
                    payload = r.raw if r.raw is not None else (
                        completion_json(body, r) if r.status == 200 else
                        json.dumps({"error": {"message": f"HTTP {r.status}", "type": "server_error"}}).encode())
                    try:
                        self.send_response(r.status)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(payload)))
                        self.end_headers()
                        self.wfile.write(payload)
                    except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                        pass
                finally:
                    server._leave()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    # concurrency accounting ------------------------------------------------------------------------------------
    def _tick(self, now: float) -> None:
        if self._t_last is not None:
            self._area += self._inflight * (now - self._t_last)
        self._t_last = now

    def _enter(self, body: dict) -> None:
        with self._lock:
            now = time.perf_counter()
            self._tick(now)
            self._t_first = self._t_first or now
            self._inflight += 1
            self.peak_inflight = max(self.peak_inflight, self._inflight)
            self.requests.append(body)

    def _leave(self) -> None:
        with self._lock:
            now = time.perf_counter()
            self._tick(now)
            self._inflight -= 1
            self._t_end = now

    def mean_inflight(self) -> float:
        """Time-weighted mean of requests in flight between the first request and the last reply."""
        with self._lock:
            if self._t_first is None or self._t_end is None or self._t_end <= self._t_first:
                return 0.0
            return self._area / (self._t_end - self._t_first)

    def reset_stats(self) -> None:
        with self._lock:
            self.requests.clear()
            self.peak_inflight, self._area, self._t_last, self._t_first, self._t_end = 0, 0.0, None, None, None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> "LocalChatServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def main() -> None:  # pragma: no cover - manual dry runs
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--latency", type=float, default=0.0)
    a = ap.parse_args()
    with LocalChatServer(latency=a.latency, port=a.port) as s:
        print(f"serving {s.base_url} (Ctrl-C to stop)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    main()
