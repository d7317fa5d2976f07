"""A real HTTP webhook receiver: records every delivery and answers as each test plans."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections import defaultdict
from typing import Any

from tests.support.processes import wait_for


class Receiver:
    """Deliveries are grouped by the comment_id in the body; `plan` says how to answer each comment's next
    deliveries: an int is a status code, a float is seconds to stall before answering 200."""

    def __init__(self) -> None:
        self.deliveries: list[dict[str, Any]] = []
        self.plan: dict[str, list[int | float]] = defaultdict(list)
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = None
                cid = ((payload or {}).get("data") or {}).get("comment_id")
                with receiver.lock:
                    step = receiver.plan[cid].pop(0) if receiver.plan.get(cid) else 200
                    receiver.deliveries.append(
                        {
                            "t": time.time(),
                            "path": self.path,
                            "body": body,
                            "json": payload,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "answered": step,
                        }
                    )
                if isinstance(step, float):
                    time.sleep(step)
                    step = 200
                self.send_response(step)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def for_comment(self, comment_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                d for d in self.deliveries if ((d["json"] or {}).get("data") or {}).get("comment_id") == comment_id
            ]

    def wait(self, comment_id: str, count: int = 1, timeout: float = 30) -> list[dict[str, Any]]:
        """Deliveries for a comment once there are at least `count` of them."""
        return wait_for(
            lambda: (lambda got: got if len(got) >= count else None)(self.for_comment(comment_id)),
            timeout,
            what=f"{count} webhook(s) for {comment_id}",
        )

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
