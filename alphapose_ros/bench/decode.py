"""Benchmark: SIKR decoding of a batch of Halpe-136 crops, the fused decoder (decode_integral: marginals
of the confidence map, one division, reused buffer) against the probability-map formula it replaced
(normalise + soft_argmax, which training still uses), interleaved in one run, with their agreement.

    python -m alphapose_ros.bench.decode [--crops 32] [--rounds 20]
"""
from __future__ import annotations

import argparse
import time

import torch

from alphapose_ros.core.codecs.sikr import decode_integral, normalise, soft_argmax


def probability_map_decode(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    prob, scores = normalise(logits, "sigmoid")
    return soft_argmax(prob), scores


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--crops", type=int, default=32)
    ap.add_argument("--keypoints", type=int, default=136)
    ap.add_argument("--rounds", type=int, default=20)
    a = ap.parse_args(argv)
    torch.manual_seed(0)
    logits = torch.randn(a.crops, a.keypoints, 64, 48) * 4
    times = {"probability map": [], "fused": []}
    with torch.inference_mode():
        for f in (probability_map_decode, decode_integral):  # warm-up
            f(logits)
        for _ in range(a.rounds):  # interleaved: both see the same machine load
            for name, f in (("probability map", probability_map_decode), ("fused", decode_integral)):
                t0 = time.perf_counter()
                f(logits)
                times[name].append(time.perf_counter() - t0)
        want, want_s = probability_map_decode(logits)
        got, got_s = decode_integral(logits)
    ms = {k: 1e3 * sorted(v)[len(v) // 2] for k, v in times.items()}
    res = {"ms_median": ms, "speedup": ms["probability map"] / ms["fused"],
           "max_coord_diff_heatmap_px": float((got - want).abs().max()), "scores_identical": torch.equal(got_s, want_s)}
    print(f"SIKR decode, {a.crops} crops x {a.keypoints} keypoints, 64x48 maps, {torch.get_num_threads()} threads, "
          f"median of {a.rounds} interleaved rounds:")
    print(f"  probability-map formula {ms['probability map']:.1f} ms, fused {ms['fused']:.1f} ms: "
          f"{res['speedup']:.2f}x; coordinates within {res['max_coord_diff_heatmap_px']:.1e} heatmap px, "
          f"scores identical: {res['scores_identical']}")
    return res


if __name__ == "__main__":
    main()
