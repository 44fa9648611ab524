"""alphapose-download: put a model from the manifest into the cache, verified.

    alphapose-download --list
    alphapose-download halpe136_fast50_regression --from-file ~/Downloads/halpe136_fast50_regression_256x192.pth
    alphapose-download yolox-s --url https://<mirror>/yolox_s.pth --sha256 <hex>
    alphapose-download rtmw-m        (the RTMPose family: fetched from its authors, unpacked, checked)
    alphapose-download mediapipe [--from-file mediapipe-0.10.14-...whl]   (no-download backend's models)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alphapose_ros.core.pose.model_zoo import ModelZooError, cache_dir, cached_path, install, load_manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="alphapose-download", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name", nargs="?", help="model name from the manifest")
    ap.add_argument("--list", action="store_true", help="list the manifest and what is cached")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--url", help="direct download URL (http/https)")
    src.add_argument("--from-file", help="import a file you downloaded yourself")
    ap.add_argument("--sha256", help="expected checksum (overrides the manifest's)")
    ap.add_argument("--cache", type=Path, help=f"cache folder (default {cache_dir()})")
    a = ap.parse_args(argv)
    if a.cache is not None and a.cache.exists() and not a.cache.is_dir():
        print(f"alphapose-download: --cache {a.cache} is a file, not a folder", file=sys.stderr)
        return 2
    if a.from_file and not Path(a.from_file).expanduser().is_file():
        print(f"alphapose-download: --from-file {a.from_file}: no such file", file=sys.stderr)
        return 2
    try:
        entries = load_manifest()
        if a.list or not a.name:
            for e in entries.values():
                here = "cached" if cached_path(e, a.cache).is_file() else "-"
                print(f"{e.name:34s} {e.kind:8s} {here:6s} {e.title}")
            return 0
        if a.name == "mediapipe":
            return fetch_mediapipe(a.from_file, a.cache)
        if a.name not in entries:
            print(f"unknown model {a.name!r}; see alphapose-download --list", file=sys.stderr)
            return 2
        e = entries[a.name]
        if not (a.url or a.from_file) and e.url:  # the RTMPose family: a direct, open download
            a.url = e.url
            print(f"{e.name}: downloading {e.url}", file=sys.stderr)
        if not (a.url or a.from_file):
            print(f"{e.name}: download it yourself from one of\n  " + "\n  ".join(e.links)
                  + f"\nthen run: alphapose-download {e.name} --from-file <file>", file=sys.stderr)
            return 2
        path = install(e, url=a.url, from_file=a.from_file, sha256=a.sha256, cache=a.cache)
    except (ModelZooError, OSError) as err:
        print(f"alphapose-download: {err}", file=sys.stderr)
        return 1
    print(f"{e.name}: verified and cached at {path}")
    return 0


def fetch_mediapipe(wheel: str | None, cache: Path | None) -> int:
    """Unpack MediaPipe's models from its PyPI wheel (downloaded unless given), verified."""
    from alphapose_ros.core.mediapipe.assets import MediaPipeModelsMissing, fetch

    try:
        path = fetch(Path(wheel) if wheel else None, cache)
    except MediaPipeModelsMissing as err:
        print(f"alphapose-download: {err}", file=sys.stderr)
        return 1
    print(f"mediapipe: verified and cached at {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
