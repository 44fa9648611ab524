"""The real-time benchmark suite under one command: one clip, one model set, every way the
package runs, written to one JSON file.

    python -m alphapose_ros.bench.suite --frames 30 --rounds 3 --out bench.json

Clip and models: the first --frames frames of vtest.avi (768x576), HOG person boxes (real
detections, no download) and FastPose-50 COCO-17 at 256x192 with untrained weights (the cost
does not depend on the values), with the pose node's defaults on every side (TorchScript, pose
batch 16). Figures:
- offline pipeline (bench.pipeline, its own process): per-stage latency, sequential and
  pipelined throughput, the slowest-stage bound, per-frame cost for 1/5/20 people; once with
  the libraries' default threads (each stage uses every core) and once with one thread per
  stage (torch 1, OpenCV 1: the stages then overlap instead of sharing the cores);
- the ROS node graph started as `alphapose-pipeline` starts it, composed (one process) and as
  separate processes, with offline (reliable, deep) queues: throughput over the clip, then
  end-to-end latency (image publish to tracked poses) with the camera at 90% of that rate;
- CPU use (cores busy) and peak memory of every process;
- the graph's throughput as a ratio of the same round's offline pipelined run and of the best
  offline run; --rounds N repeats offline + graph runs and reports every round's ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from alphapose_ros.bench.pipeline import FIXTURE_CFG, FOOTAGE
from alphapose_ros.bench.proc_stats import cpu_seconds, peak_rss_mb
from alphapose_ros.ros.sync import stamp_key

POSE_NODE_DEFAULTS = ["--torchscript", "--posebatch", "16"]  # as the pose node runs the model
# the graph's pose NMS keeps the untrained network's poses (soak.graph_parameters): so does offline
SAME_WORK_AS_GRAPH = ["--nms-score-thresh", "0"]
GRAPH_KEYS = ("graph_composed", "graph_separate")


def offline_figures(frames: int, people: str, workdir: Path, threads: tuple[str, ...] = ()) -> dict:
    """bench.pipeline in a child process; its figures plus the child's CPU time and peak RSS."""
    out = workdir / f"offline{len(threads)}.json"
    cmd = [sys.executable, "-m", "alphapose_ros.bench.pipeline", "--frames", str(frames), "--people", people,
           "--out", str(out), *POSE_NODE_DEFAULTS, *SAME_WORK_AS_GRAPH, *threads]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"bench.pipeline failed: {' '.join(cmd)}")
    res = json.loads(out.read_text())
    res["process"] = {"cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
                      "wall_seconds": round(time.perf_counter() - t0, 1),
                      "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}
    return res


class ClipDriver:
    """Publishes clip frames on `image` and times each frame's tracked poses on `poses`."""

    def __init__(self, domain: int):
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from sensor_msgs.msg import Image

        from alphapose_ros.msg import WholeBodyPoseArray
        from alphapose_ros.ros.qos import stage_qos

        self.ctx = rclpy.Context()
        rclpy.init(context=self.ctx, domain_id=domain)
        self.node = rclpy.create_node("bench_driver", context=self.ctx)
        self.sent_at: dict[tuple[int, int], float] = {}
        self.back_at: dict[tuple[int, int], float] = {}
        self.node.create_subscription(WholeBodyPoseArray, "poses", self._on_poses, stage_qos(1, offline=True))
        self.pub = self.node.create_publisher(Image, "image", stage_qos(1, offline=True))
        self.ex = SingleThreadedExecutor(context=self.ctx)
        self.ex.add_node(self.node)
        threading.Thread(target=self.ex.spin, daemon=True).start()

    def _on_poses(self, m) -> None:
        self.back_at[stamp_key(m.header)] = time.perf_counter()

    def wait_for_graph(self, procs: list[subprocess.Popen], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        # both the detection and the pose node take the images
        while self.pub.get_subscription_count() < 2 or self.node.count_publishers("poses") < 1:
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("the graph did not come up")
            time.sleep(0.2)
        time.sleep(2.0)  # let the managed nodes activate

    def publish(self, img: np.ndarray, stamp: float) -> tuple[int, int]:
        from sensor_msgs.msg import Image

        from alphapose_ros.core.io.image_msgs import bgr_to_image
        from alphapose_ros.ros.conversions import header_at

        h = header_at(stamp, "bench_camera")
        key = stamp_key(h)
        msg = bgr_to_image(img, h, Image)
        self.sent_at[key] = time.perf_counter()
        self.pub.publish(msg)
        return key

    def wait(self, keys: list[tuple[int, int]], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while any(k not in self.back_at for k in keys):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        self.ex.shutdown()
        self.node.destroy_node()
        import rclpy

        rclpy.try_shutdown(context=self.ctx)


def graph_figures(frames: list[np.ndarray], composed: bool, workdir: Path, timeout: float = 600.0) -> dict:
    """Throughput, latency and per-process CPU/peak memory of the node graph on the clip."""
    from alphapose_ros.harness.graph import graph_commands, start
    from alphapose_ros.ros.runner import stop_processes

    workdir.mkdir(parents=True, exist_ok=True)
    domain = 120 + (os.getpid() + int(composed)) % 100
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain))
    cmds = graph_commands(workdir, composed, offline=True, model=FIXTURE_CFG, detector="hog")
    procs = {n: start(n, c, workdir, env) for n, c in cmds.items()}
    drv = ClipDriver(domain)
    res: dict = {"mode": "composed" if composed else "separate", "processes": {}}
    try:
        drv.wait_for_graph(list(procs.values()), 120)
        warm = drv.publish(frames[0], 500.0)  # first inference traces the network: not counted
        if not drv.wait([warm], 180):
            raise RuntimeError(f"no output for the warm-up frame (logs in {workdir})")
        cpu0 = {n: cpu_seconds(p.pid) for n, p in procs.items()}
        t0 = time.perf_counter()
        keys = [drv.publish(f, 1000.0 + i / 10) for i, f in enumerate(frames)]  # all at once
        if not drv.wait(keys, timeout):
            raise RuntimeError(f"{sum(k in drv.back_at for k in keys)}/{len(keys)} frames came back "
                               f"(logs in {workdir})")
        wall = max(drv.back_at[k] for k in keys) - t0
        res["frames_per_s"] = len(keys) / wall
        for n, p in procs.items():
            res["processes"][n] = {"cores_busy": round((cpu_seconds(p.pid) - cpu0[n]) / wall, 2)}
        rate = 0.9 * res["frames_per_s"]
        keys, t1 = [], time.perf_counter()
        for i, f in enumerate(frames):
            keys.append(drv.publish(f, 2000.0 + i / 10))
            time.sleep(max(0.0, t1 + (i + 1) / rate - time.perf_counter()))
        if not drv.wait(keys, timeout):
            raise RuntimeError(f"latency run: frames missing (logs in {workdir})")
        lat = np.array([drv.back_at[k] - drv.sent_at[k] for k in keys]) * 1e3
        res.update(camera_hz=round(rate, 2), latency_ms_p50=float(np.percentile(lat, 50)),
                   latency_ms_p99=float(np.percentile(lat, 99)))
        for n, p in procs.items():
            res["processes"][n]["peak_rss_mb"] = round(peak_rss_mb(p.pid), 1)
    finally:
        drv.close()
        stop_processes(list(procs.values()), 15)
    return res


def graph_ratios(g: dict, offline: dict, best: float) -> None:
    """Add the graph's throughput as a ratio of the same round's offline pipelined run (the
    offline commands run the stages concurrently, as the graph does) and of the best offline run."""
    g["vs_offline_pipelined"] = g["frames_per_s"] / offline["pipelined"]["frames_per_s"]
    g["vs_best_offline"] = g["frames_per_s"] / best


def best_offline(*runs: dict) -> float:
    """The fastest offline throughput among these runs, sequential or pipelined."""
    return max(r[m]["frames_per_s"] for r in runs for m in ("sequential", "pipelined"))


def summary(res: dict) -> list[str]:
    """The README table rows (markdown) of a suite result: the first round in full, then the
    graph/offline ratios of every round and their medians."""
    first = res["rounds"][0]
    rows = ["| run (round 1) | frames/s | vs offline pipelined | vs best offline | latency p50 / p99 (ms) | "
            "cores busy | peak RSS (MB) |", "|---|---|---|---|---|---|---|"]
    best = first["best_offline_frames_per_s"]
    piped = first["offline"]["pipelined"]["frames_per_s"]
    for off, label in ((first["offline"], "default threads"), (res["offline_one_thread_per_stage"],
                                                                "one thread per stage")):
        for mode in ("sequential", "pipelined"):
            r = off[mode]
            rows.append(f"| offline {mode}, {label} | {r['frames_per_s']:.2f} | {r['frames_per_s'] / piped:.2f}x | "
                        f"{r['frames_per_s'] / best:.2f}x | {r['latency_ms_p50']:.0f} / - | "
                        f"{r['cpu_cores_used']:.2f} | {off['process']['peak_rss_mb']:.0f} |")
    for key in GRAPH_KEYS:
        g = first.get(key)
        if not g:
            continue
        procs = g["processes"]
        rows.append(f"| ROS graph, {g['mode']} | {g['frames_per_s']:.2f} | {g['vs_offline_pipelined']:.2f}x | "
                    f"{g['vs_best_offline']:.2f}x | {g['latency_ms_p50']:.0f} / {g['latency_ms_p99']:.0f} | "
                    + " + ".join(f"{p['cores_busy']:.2f}" for p in procs.values()) + " | "
                    + " + ".join(f"{p['peak_rss_mb']:.0f}" for p in procs.values()) + " |")
    for key in GRAPH_KEYS:
        for ratio in ("vs_offline_pipelined", "vs_best_offline"):
            vals = [r[key][ratio] for r in res["rounds"] if key in r]
            if vals:
                rows.append(f"\n{key} {ratio}, every round: " + " / ".join(f"{v:.2f}" for v in vals)
                            + f"; median {float(np.median(vals)):.2f}")
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--people", default="1,5,20", help="box counts for the per-person cost ('' to skip)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="repeat offline + graph runs this many times (ratios are taken within a round: "
                    "a shared machine's load drifts between rounds)")
    ap.add_argument("--no-graph", action="store_true", help="offline figures only (no ROS 2 needed)")
    ap.add_argument("--out", type=Path, default=Path("bench.json"))
    a = ap.parse_args(argv)
    from alphapose_ros.bench.detectors import read_frames

    workdir = Path(tempfile.mkdtemp(prefix="alphapose_bench_"))
    res: dict = {"clip": f"{FOOTAGE.name} x{a.frames}", "models": "HOG + FastPose-50 COCO-17 256x192 (untrained), "
                 "TorchScript, pose batch 16", "cpu_count": os.cpu_count(), "rounds": []}
    res["offline_one_thread_per_stage"] = offline_figures(a.frames, "", workdir,
                                                          ("--torch-threads", "1", "--cv-threads", "1"))
    frames = None if a.no_graph else read_frames(FOOTAGE, a.frames)
    for i in range(max(1, a.rounds)):
        rnd = {"offline": offline_figures(a.frames, a.people if i == 0 else "", workdir)}
        rnd["best_offline_frames_per_s"] = best_offline(rnd["offline"], res["offline_one_thread_per_stage"])
        for key in () if a.no_graph else GRAPH_KEYS:
            g = rnd[key] = graph_figures(frames, key == "graph_composed", workdir / f"{key}{i}")
            graph_ratios(g, rnd["offline"], rnd["best_offline_frames_per_s"])
            print(f"round {i + 1} {key}: {g['frames_per_s']:.2f} frames/s = {g['vs_offline_pipelined']:.2f}x offline "
                  f"pipelined, {g['vs_best_offline']:.2f}x the best offline; latency p50 {g['latency_ms_p50']:.0f} "
                  f"ms, p99 {g['latency_ms_p99']:.0f} ms", flush=True)
        res["rounds"].append(rnd)
    a.out.write_text(json.dumps(res, indent=2))
    print("\n".join(summary(res)))
    for key, off in (("offline", res["rounds"][0]["offline"]),
                     ("offline_one_thread_per_stage", res["offline_one_thread_per_stage"])):
        print(f"{key}: pipelined vs sequential {off['pipelined_vs_sequential']:.2f}x, vs the slowest-stage bound "
              f"{off['pipelined_vs_bound']:.2f}x")
    print(f"figures in {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
