"""Benchmark: pose network crops/second and peak memory at several batch sizes.

Default model: FastPose-50, Halpe-136, SIKR head, 256x192 input (untrained weights:
speed does not depend on the values). Each batch size runs in its own process so the
peak memory figure is that batch size's own.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch


def _run_one(batch: int, device: str, half: bool, seconds: float, threads: int) -> dict:
    from alphapose_ros.core.models.config import build_model, parse_config

    if threads:
        torch.set_num_threads(threads)
    cfg = parse_config({"MODEL": {"TYPE": "FastPose", "NUM_LAYERS": 50, "CONV_DIM": 256},
                        "DATA_PRESET": {"NUM_JOINTS": 136}, "LOSS": {"TYPE": "L1JointRegression"},
                        "DATASET": {"TRAIN": {"TYPE": "Halpe_136"}}})
    from alphapose_ros.core.pose.estimator import prepare_model

    model = prepare_model(build_model(cfg), device, half)  # as the estimator runs it
    dtype = torch.float16 if half else torch.float32
    x = torch.randn(batch, 3, 256, 192, device=device, dtype=dtype).contiguous(memory_format=torch.channels_last)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    with torch.inference_mode():
        model(x)  # warm-up
        sync()
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds or n < 2:
            model(x)
            n += 1
        sync()
        dt = time.perf_counter() - t0
    out = {"batch": batch, "crops_per_s": n * batch / dt, "ms_per_batch": dt / n * 1e3,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if device.startswith("cuda"):
        out["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2 ** 20
        out["gpu"] = torch.cuda.get_device_name()
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--fp16", action="store_true")
    ap.add_argument("--seconds", type=float, default=5.0, help="timed seconds per batch size")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--_one", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a._one:
        print(json.dumps(_run_one(a._one, a.device, a.fp16, a.seconds, a.threads)))
        return
    rows = []
    for b in (int(v) for v in a.batches.split(",")):
        cmd = [sys.executable, "-m", "alphapose_ros.bench.pose", "--_one", str(b), "--device", a.device,
               "--seconds", str(a.seconds), "--threads", str(a.threads)] + (["--fp16"] if a.fp16 else [])
        rows.append(json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout))
    base = rows[0]["crops_per_s"]
    print(f"FastPose-50 Halpe-136 256x192, {a.device}{' fp16' if a.fp16 else ''}"
          + (f" ({rows[0]['gpu']})" if "gpu" in rows[0] else f", {torch.get_num_threads()} threads"))
    print(f"{'batch':>5} {'crops/s':>9} {'ms/batch':>9} {'vs batch 1':>10} {'peak RSS MB':>12}"
          + (f" {'peak GPU MB':>12}" if "peak_gpu_mb" in rows[0] else ""))
    for r in rows:
        print(f"{r['batch']:>5} {r['crops_per_s']:>9.1f} {r['ms_per_batch']:>9.1f} {r['crops_per_s'] / base:>9.2f}x "
              f"{r['peak_rss_mb']:>12.0f}" + (f" {r['peak_gpu_mb']:>12.0f}" if "peak_gpu_mb" in r else ""))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
