"""`make bench`: the whole service against a naive one, on real comments, on this machine.

In one run, on the same texts:
1. the naive service's speed: bare Detoxify, one comment per call, fp32;
2. the ceiling: the workers' scorer in-process, with their batching and precision and nothing else;
3. the service end to end: `moderation run` started for real, N comments posted at a concurrency,
   decisions timed to their arrival at a webhook receiver.
Prints the figures and ratios, writes bench/results/latest.json and a chart beside it.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "bench" / "results"
VENV_BIN = Path(sys.executable).parent


def say(message: str) -> None:
    print(message, flush=True)


def comments(n: int) -> list[str]:
    """N real comments: the Jigsaw test sample (toxic and clean, in file order), then OLID tweets."""
    texts: list[str] = []
    for path in sorted((DATA / "jigsaw_toxic_sample").glob("test.*.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            texts += [row["comment_text"] for row in csv.DictReader(f)]
    with open(DATA / "olid" / "testset-levela.tsv", encoding="utf-8") as f:
        texts += [line.split("\t", 1)[1].strip() for line in list(f)[1:]]
    # Interleave the sources so every stretch of the stream has short and long comments, as real traffic does.
    texts = texts[::2] + texts[1::2]
    return texts[:n]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def model_for_bench(model_dir: Path, requested: str | None) -> str:
    """The model to measure: the one asked for, Detoxify `original` if pulled, else a BERT-base-shaped one."""
    if requested:
        return requested
    if (model_dir / "original" / "checkpoint.ckpt").is_file():
        return "original"
    if not (model_dir / "bert-base-shaped" / "checkpoint.ckpt").is_file():
        say("no Detoxify weights here: building a BERT-base-shaped checkpoint (Detoxify original's compute)")
        subprocess.run(
            [str(VENV_BIN / "moderation"), "models", "build", "bert-base-shaped"],
            check=True,
            env={**os.environ, "MODERATION_MODEL_DIR": str(model_dir)},
        )
    return "bert-base-shaped"


def bare_detoxify_single(checkpoint: str, hf_dir: str, texts: list[str]) -> float:
    """The naive service: bare Detoxify at fp32, one comment per call. Comments per second."""
    import torch
    from detoxify import Detoxify

    torch.set_num_threads(len(os.sched_getaffinity(0)))
    model = Detoxify(checkpoint=checkpoint, huggingface_config_path=hf_dir)
    model.predict(texts[0])
    started = time.perf_counter()
    for text in texts:
        model.predict(text)
    return len(texts) / (time.perf_counter() - started)


def workers_in_process(spec, texts: list[str], batch_max: int, token_budget: int) -> float:  # type: ignore[no-untyped-def]
    """The ceiling: the workers' scorer, batches as the queue would hand them over. Comments per second."""
    from workers.toxicity import load_scorer

    scorer = load_scorer(spec, token_budget=token_budget, threads=len(os.sched_getaffinity(0)))
    scorer.score(texts[:8])
    started = time.perf_counter()
    for i in range(0, len(texts), batch_max):
        scorer.score(texts[i : i + batch_max])
    return len(texts) / (time.perf_counter() - started)


def _receive(conn, expect: int) -> None:  # type: ignore[no-untyped-def]
    """The webhook receiver, in a process of its own so that it takes no time from the posting client.

    It stands in for the platform's server, which in production runs on other machines; here it shares the
    cores, at the priority the service gives its own deliveries (nice 5), below intake.
    """
    os.nice(5)
    arrived: dict[str, float] = {}
    done = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            arrived.setdefault(json.loads(body)["data"]["comment_id"], time.monotonic())
            if len(arrived) >= expect:
                done.set()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.send(server.server_address[1])
    while not done.wait(0.2) and not conn.poll():
        pass
    conn.send(arrived)


class Receiver:
    """Starts the receiver process; `arrivals()` waits for every decision (or the timeout) and returns them."""

    def __init__(self, expect: int) -> None:
        import multiprocessing

        self.conn, child = multiprocessing.Pipe()
        self.proc = multiprocessing.get_context("spawn").Process(
            target=_receive, args=(child, expect), daemon=True
        )
        self.proc.start()
        self.port = self.conn.recv()
        self.pid = self.proc.pid

    def arrivals(self, timeout: float) -> dict[str, float]:
        if not self.conn.poll(timeout):
            self.conn.send("stop")
        return self.conn.recv()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.join()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_by_part(run_pid: int, receiver_pid: int) -> dict[str, float]:
    """CPU seconds used so far by each part of the service, and by this benchmark's own client and receiver."""
    import psutil

    parts: dict[str, float] = {}
    for proc in psutil.Process(run_pid).children(recursive=True):
        try:
            cmd = " ".join(proc.cmdline())
            times = proc.cpu_times()
        except psutil.Error:
            continue
        part = (
            "redis"
            if "redis-server" in cmd
            else "api (gunicorn)"
            if "gunicorn" in cmd
            else "score worker"
            if "-Q score" in cmd
            else "webhooks worker"
            if "-Q webhooks" in cmd
            else "beat"
            if " beat" in cmd
            else "other"
        )
        parts[part] = parts.get(part, 0.0) + times.user + times.system
    me = psutil.Process().cpu_times()
    parts["bench client"] = me.user + me.system
    receiver = psutil.Process(receiver_pid).cpu_times()
    parts["bench receiver"] = receiver.user + receiver.system
    return parts


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def end_to_end(texts: list[str], *, env: dict[str, str], concurrency: int, rate: float) -> dict:
    """Start `moderation run`, post the texts, time intake and decisions; stop everything."""
    import psutil

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(Path(env["MODERATION_DATA_DIR"]) / "run.log", "wb") as log:
        run = subprocess.Popen(
            [str(VENV_BIN / "moderation"), "run", "--port", str(port)],
            env=env,
            cwd=env["BENCH_CWD"],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    receiver = Receiver(len(texts))
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                ready = get_json(base + "/readyz")
                scoring = [p for p in psutil.Process(run.pid).children(recursive=True) if "-Q" in p.cmdline()
                           and "score" in p.cmdline()]  # fmt: skip
                # Measure only once every score process has loaded its model.
                if ready["status"] in ("ready", "degraded") and ready["checks"]["workers"]["queues"][
                    "score"
                ] >= len(scoring):
                    break
            except Exception:
                pass
            if run.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the service did not start; see " + env["MODERATION_DATA_DIR"] + "/run.log")
            time.sleep(0.5)
        made = subprocess.run(
            [
                str(VENV_BIN / "moderation"),
                "sites",
                "create",
                "--name",
                "bench",
                "--webhook-url",
                f"http://127.0.0.1:{receiver.port}/hook",
                "--json",
            ],
            env=env,
            cwd=env["BENCH_CWD"],
            capture_output=True,
            text=True,
            check=True,
        )
        key = json.loads(made.stdout)["api_key"]
        model = ready["checks"]["model"]["toxicity"]

        posted: dict[str, float] = {}
        intake: list[float] = []
        timeline: list[tuple[float, float]] = []
        cpu_before = cpu_by_part(run.pid, receiver.pid)

        def post(item: tuple[int, str]) -> None:
            i, text = item
            cid = f"bench-{i}"
            body = json.dumps({"comment_id": cid, "content": text}).encode()
            req = urllib.request.Request(
                base + "/v1/comments",
                data=body,
                method="POST",
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            started = time.monotonic()
            with urllib.request.urlopen(req, timeout=30) as r:
                r.read()
            intake.append(time.monotonic() - started)
            posted[cid] = started
            timeline.append((started, intake[-1]))

        for _ in range(3):  # the client's own first-use costs (urllib's set-up) are not the service's
            get_json(base + "/healthz")
        first = time.monotonic()
        say(f"  first post at {time.strftime('%H:%M:%S')}.{int(time.time() % 1 * 1000):03d}")
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            futures = []
            for i, text in enumerate(texts):
                if rate:  # an even stream, as a busy platform sends; 0: as fast as `concurrency` allows
                    time.sleep(max(0.0, first + i / rate - time.monotonic()))
                futures.append(pool.submit(post, (i, text)))
            for f in futures:
                f.result()
        intake_done = time.monotonic()
        arrived = receiver.arrivals(timeout=max(600, len(texts)))
        if len(arrived) < len(texts):
            raise RuntimeError(f"only {len(arrived)} of {len(texts)} decisions arrived")
        last = max(arrived.values())
        cpu_after = cpu_by_part(run.pid, receiver.pid)
        e2e = [arrived[c] - posted[c] for c in posted]
        beats = get_json(base + "/readyz")
        metrics = urllib.request.urlopen(base + "/metrics").read().decode()
        rss = [
            float(line.split()[-1])
            for line in metrics.splitlines()
            if line.startswith('moderation_worker_rss_bytes{worker="score')
        ]
        batch_max = [
            float(line.split()[-1])
            for line in metrics.splitlines()
            if line.startswith("moderation_score_batch_max")
        ]
        batches = [
            float(line.split()[-1])
            for line in metrics.splitlines()
            if line.startswith("moderation_score_batches_total")
        ]
        return {
            "model_reported": model,
            "ready": beats["status"],
            "throughput": len(texts) / (last - first),
            "intake_seconds": intake_done - first,
            "intake": intake,
            "e2e": e2e,
            "arrivals": sorted(t - first for t in arrived.values()),
            "intake_timeline": sorted((round(t - first, 4), round(lat * 1000, 2)) for t, lat in timeline),
            "worker_rss_mb": sum(rss) / 1e6 if rss else None,
            "score_processes": len(rss),
            "largest_batch": max(batch_max) if batch_max else None,
            "batches": sum(batches) if batches else None,
            "cpu_seconds": {k: round(cpu_after.get(k, 0) - cpu_before.get(k, 0), 1) for k in cpu_after},
            "wall_seconds": last - first,
        }
    finally:
        receiver.stop()
        run.send_signal(signal.SIGTERM)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            run.kill()


def chart(result: dict, e2e_run: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    ax = axes[0]
    ax.hist([x * 1000 for x in e2e_run["intake"]], bins=40, color="#4c72b0")
    ax.axvline(
        result["intake_p99_ms"], color="crimson", linestyle="--", label=f"p99 {result['intake_p99_ms']:.1f} ms"
    )
    ax.set(title="Intake latency (POST /v1/comments)", xlabel="ms", ylabel="requests")
    ax.legend()
    ax = axes[1]
    arrivals = e2e_run["arrivals"]
    ax.plot(arrivals, range(1, len(arrivals) + 1), color="#55a868")
    ax.set(title="Decisions delivered by webhook", xlabel="seconds since the first post", ylabel="comments")
    ax = axes[2]
    names = [
        "naive service\n(1 per call, fp32)",
        f"workers in-process\n({result['precision']}, batched)",
        "end to end\n(intake→webhook)",
    ]
    values = [result["bare_single_per_s"], result["bare_batched_per_s"], result["e2e_throughput_per_s"]]
    bars = ax.bar(names, values, color=["#8172b2", "#ccb974", "#55a868"])
    ax.bar_label(bars, fmt="%.1f/s")
    ax.set(title=f"Throughput on {result['comments']} comments\n{result['model']}", ylabel="comments per second")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--comments", type=int, default=512)
    parser.add_argument("-c", "--concurrency", type=int, default=8, help="requests in flight at most")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="comments posted per second (default: twice the in-process ceiling, so the workers "
        "are saturated throughout; 0: as fast as the concurrency allows)",
    )
    parser.add_argument(
        "--model", help="model name or checkpoint (default: original if pulled, else BERT-base-shaped)"
    )
    parser.add_argument("--precision", help="fp32, bf16 or int8 (default: the service's default)")
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=256,
        help="comments to time the naive service on (it is slow; the rate is per comment)",
    )
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    from service.config import load_config
    from workers.toxicity import resolve_model

    config = load_config()
    model_dir = Path(config["MODEL_DIR"])
    model = model_for_bench(model_dir, args.model)
    precision = args.precision or config["TOXICITY_PRECISION"]
    spec = resolve_model(
        model, hf_dir=config.get("TOXICITY_HF_DIR"), model_dir=str(model_dir), precision=precision, required=True
    )
    texts = comments(args.comments)
    say(
        f"{len(texts)} comments from ../shared/data; model {spec.name} ({precision}); "
        f"{len(os.sched_getaffinity(0))} cores"
    )

    say("timing the naive service (bare Detoxify, one comment per call, fp32)…")
    # Every k-th text, so the sample has the whole set's mix of lengths.
    sample = texts[:: max(1, len(texts) // args.naive_sample)][: args.naive_sample]
    naive = bare_detoxify_single(spec.checkpoint, spec.hf_dir, sample)
    say(f"  {naive:.1f} comments/s")
    say(
        f"timing the workers' scorer in-process ({precision}, batches of ≤{config['SCORE_BATCH_MAX']}, "
        f"{config['TOXICITY_TOKEN_BUDGET']}-token budget)…"
    )
    ceiling_before = workers_in_process(spec, texts, config["SCORE_BATCH_MAX"], config["TOXICITY_TOKEN_BUDGET"])
    say(f"  {ceiling_before:.1f} comments/s")
    ceiling = ceiling_before

    rate = round(2 * ceiling, 1) if args.rate is None else args.rate
    pace = f"{rate:g}/s" if rate else "unpaced"
    say(
        f"running the service end to end: {len(texts)} comments posted {pace}, at most {args.concurrency} at once…"
    )
    with tempfile.TemporaryDirectory(prefix="moderation-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")}
        env.update(
            {
                "MODERATION_DATA_DIR": tmp,
                "MODERATION_MODEL_DIR": str(model_dir),
                "MODERATION_TOXICITY_MODEL": model,
                "MODERATION_TOXICITY_PRECISION": precision,
                "MODERATION_TOXICITY_REQUIRED": "1",
                "BENCH_CWD": str(REPO),
            }
        )
        for key in (
            "TOXICITY_TOKEN_BUDGET",
            "SCORE_BATCH_MAX",
            "SCORE_FLUSH_INTERVAL",
            "SCORE_NICE",
            "SCORE_PROCESSES",
            "TOXICITY_THREADS",
        ):
            if f"MODERATION_{key}" in os.environ:
                env[f"MODERATION_{key}"] = os.environ[f"MODERATION_{key}"]
        try:
            run = end_to_end(texts, env=env, concurrency=args.concurrency, rate=rate)
        finally:
            RESULTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(Path(tmp) / "run.log", RESULTS / "service.log")
    log = (RESULTS / "service.log").read_text(errors="replace")
    batches = [
        tuple(map(float, m))
        for m in re.findall(
            r"decided \d+ of \d+ comments in (\d+) ms \(reading (\d+), model (\d+), spam and deciding (\d+), "
            r"storing (\d+), handing on (\d+)\)",
            log,
        )
    ]
    busy = sum(b[0] for b in batches) or 1.0
    model_share = sum(b[2] for b in batches) / busy
    shares = {part: sum(b[i] for b in batches) / busy for i, part in
              ((1, "reading"), (3, "spam and deciding"), (4, "storing"), (5, "handing on"))}  # fmt: skip
    # This machine's speed drifts by ±15 % from minute to minute: time the ceiling again right after the
    # end-to-end run and compare with the mean of the two.
    say("timing the workers' scorer in-process again…")
    ceiling_after = workers_in_process(spec, texts, config["SCORE_BATCH_MAX"], config["TOXICITY_TOKEN_BUDGET"])
    say(f"  {ceiling_after:.1f} comments/s")
    ceiling = (ceiling_before + ceiling_after) / 2

    result = {
        "comments": len(texts),
        "concurrency": args.concurrency,
        "model": spec.name,
        "precision": precision,
        "cores": len(os.sched_getaffinity(0)),
        "e2e_throughput_per_s": round(run["throughput"], 2),
        "bare_batched_per_s": round(ceiling, 2),
        "bare_batched_before_after_per_s": [round(ceiling_before, 2), round(ceiling_after, 2)],
        "bare_single_per_s": round(naive, 2),
        "ratio_e2e_to_bare_batched": round(run["throughput"] / ceiling, 3),
        "ratio_e2e_to_bare_single": round(run["throughput"] / naive, 2),
        "intake_p50_ms": round(percentile(run["intake"], 50) * 1000, 2),
        "intake_p95_ms": round(percentile(run["intake"], 95) * 1000, 2),
        "intake_p99_ms": round(percentile(run["intake"], 99) * 1000, 2),
        "intake_seconds": round(run["intake_seconds"], 2),
        "e2e_p50_s": round(percentile(run["e2e"], 50), 3),
        "e2e_p95_s": round(percentile(run["e2e"], 95), 3),
        "e2e_p99_s": round(percentile(run["e2e"], 99), 3),
        "worker_rss_mb": round(run["worker_rss_mb"], 1) if run["worker_rss_mb"] else None,
        "score_processes": run["score_processes"],
        "largest_batch": run["largest_batch"],
        "batches": run["batches"],
        "token_budget": config["TOXICITY_TOKEN_BUDGET"],
        "batch_max": config["SCORE_BATCH_MAX"],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "intake.csv").write_text("seconds_since_first_post,latency_ms\n" + "".join(
        f"{t},{ms}\n" for t, ms in run["intake_timeline"]))  # fmt: skip
    chart(result, run, RESULTS / "latest.png")

    say("")
    say(
        f"model {result['model']} at {precision} on {result['cores']} cores, {len(texts)} comments, "
        f"concurrency {args.concurrency}"
    )
    say(
        f"intake latency     p50 {result['intake_p50_ms']:.1f} ms   p95 {result['intake_p95_ms']:.1f} ms   "
        f"p99 {result['intake_p99_ms']:.1f} ms   (all posted in {result['intake_seconds']:.1f} s)"
    )
    say(
        f"end-to-end latency p50 {result['e2e_p50_s']:.2f} s   p95 {result['e2e_p95_s']:.2f} s   "
        f"p99 {result['e2e_p99_s']:.2f} s   (intake → webhook received)"
    )
    say(
        f"throughput         end to end {result['e2e_throughput_per_s']:.1f}/s | workers in-process "
        f"{ceiling:.1f}/s | naive service {naive:.1f}/s"
    )
    say(
        f"ratios             e2e / in-process ceiling = {result['ratio_e2e_to_bare_batched']:.2f}   "
        f"e2e / naive = {result['ratio_e2e_to_bare_single']:.2f}"
    )
    say(
        f"score workers      {result['score_processes']} processes, RSS {result['worker_rss_mb']} MB in all; "
        f"largest batch {result['largest_batch']:.0f}, {result['batches']:.0f} batches"
    )
    rest = ", ".join(f"{part} {share:.0%}" for part, share in shares.items())
    say(f"score workers' busy time in the model: {model_share:.0%} (the rest: {rest})")
    cpu = ", ".join(f"{k} {v:.1f}" for k, v in sorted(run["cpu_seconds"].items(), key=lambda kv: -kv[1]))
    say(f"CPU seconds        {cpu} (over {run['wall_seconds']:.1f} s on {result['cores']} cores)")
    say(f"wrote {RESULTS / 'latest.json'}, {RESULTS / 'latest.png'}, {RESULTS / 'intake.csv'}")
    say(f"      and the service's log, {RESULTS / 'service.log'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
