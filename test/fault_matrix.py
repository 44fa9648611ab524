"""The fault matrix: every attack on the package we know of, what must happen, and (by the tests marked
`@pytest.mark.fault("<key>")`) the tests that carry it out on each run. conftest.py prints the matrix with
each row's observed result at the end of a test run; test_fault_matrix.py checks every row has tests."""
from __future__ import annotations

from typing import NamedTuple


class Attack(NamedTuple):
    key: str
    attack: str
    expected: str


ROWS = [
    # offline commands
    Attack("infer-unwritable-output", "`alphapose-infer` output folder, image or video target cannot be written",
           "refused before the model loads: one line, exit 2"),
    Attack("infer-interrupted", "Ctrl-C or a write error during `alphapose-infer`",
           "results of the frames done written (atomically), exit 130 / 2"),
    Attack("infer-bad-input-keeps-results", "`alphapose-infer` with a missing, misspelled or unopenable "
           "`--input` into an `--outdir` holding finished results",
           "one line naming the input, exit 2, before any model loads; the finished results untouched"),
    Attack("infer-broken-image", "an unreadable image among the inputs",
           "skipped with a warning, the others processed"),
    Attack("detfile-not-detections", "a detfile that is not JSON, or whose records are lists, null or strings",
           "one line naming the file, exit 2"),
    Attack("video-frame-size-change", "`--save-video` on a video, image folder or bag whose frame size changes "
           "mid-stream", "every frame written (letterboxed into the first size), said once with a count"),
    Attack("detfile-bad-records", "detection records with a bbox given as a string, true/false as numbers, "
           "an image_id that is no name or whole number; a file nested thousands deep",
           "each bad record skipped with one line saying why and counted, the good ones used; the deep file one "
           "line; ids that match no input image reported at the end"),
    Attack("checkpoint-not-a-checkpoint", "a 0-byte `.pth`, a text file named `.pth`",
           "one line naming the file as not a checkpoint"),
    Attack("checkpoint-code-pickle", "a `.pth` whose pickle carries code", "refused, never unpickled"),
    Attack("checkpoint-mismatched", "a missing checkpoint, or one for another model or format",
           "one line saying which, before anything runs"),
    Attack("engine-bad-export", "an exported model without its sidecar, with another file's sidecar, from "
           "another model than `--cfg`, or with engine torch; `--int8` without a calibration set",
           "one line saying which, exit 2"),
    Attack("config-malformed", "a malformed `--cfg` YAML", "one line naming the file"),
    Attack("config-wrong-values", "a `--cfg` whose sections are not mappings, or whose values have the wrong "
           "type or range (`IMAGE_SIZE: [-128, 0]`, `NUM_JOINTS: \"17\"`)",
           "one line naming the file and the key, exit 2, before anything runs"),
    Attack("detector-cannot-load", "detector weights missing or an unknown detector (command or node)",
           "one line saying what to pass; the node's configure fails with the reason"),
    Attack("bag-corrupt-message", "a bag with a message rosbags cannot deserialise",
           "that message skipped and counted, the rest processed"),
    Attack("bag-interrupted", "Ctrl-C or a failure during `alphapose-bag`",
           "output bag closed and readable with the frames done; `--overwrite` re-runs"),
    Attack("bag-killed", "SIGKILL (a power cut) during `alphapose-bag`; a second run on the same `--out` "
           "while the first writes", "the frames done committed every 10 frames: `--salvage` makes them a "
           "readable bag, the next run names the leftover, `--overwrite` replaces it; the second run one line"),
    Attack("disk-full", "the disk fills up during `alphapose-infer` (video, results), `alphapose-bag` or "
           "`alphapose-fleet`", "one line, no traceback, no half-written temp file: infer writes the results of the "
           "frames done (or leaves the earlier results untouched); the bag keeps its committed frames for "
           "`--salvage`; the fleet keeps that bag's finished shards for the next run and leaves no half bag"),
    Attack("fleet-worker-killed", "SIGKILL of an `alphapose-fleet` worker in the middle of a shard",
           "Ray restarts the worker and retries the shard; the run ends with the same output bag"),
    Attack("fleet-driver-killed", "SIGKILL of the `alphapose-fleet` driver, then the same command again",
           "the finished shards are kept (each written whole or not at all) and not computed again; the same "
           "output bag, which appears only complete"),
    Attack("fleet-bad-bag", "garbage, a truncated database and a bag without a camera topic among good bags "
           "given to `alphapose-fleet`", "each named in one line, the good bags finish, exit 1 with a summary"),
    Attack("fleet-same-out", "a second `alphapose-fleet` on the same `--out` while the first runs",
           "refused in one line naming the first run's pid (exit 2); the first finishes unharmed"),
    Attack("bag-bad-targets", "wrong `--image-topic`, existing `--out`, unwritable `--save-video`",
           "refused before anything is written; `--overwrite` never removes a non-bag or the input"),
    Attack("eval-non-finite", "results with NaN keypoints", "one line, exit 2 (was ranked AP 1.000)"),
    Attack("eval-wrong-structure", "dict results, list ground truth, wrong shapes, unknown image ids, "
           "another keypoint format", "one line naming the problem, exit 2"),
    Attack("eval-bad-files", "unreadable JSON, unwritable `--out`", "one line naming the file, before evaluating"),
    Attack("fit-proposals-bad-input", "`alphapose-fit-proposals` on a folder that is no dataset, an unreadable "
           "detection file, or detections that match too few people",
           "one line naming the problem, exit 2, nothing written"),
    Attack("reid-weights-mismatched", "pose-guided re-ID weights beside pose weights other than those they were "
           "trained with, beside MediaPipe or an exported engine; a REID config whose data has no "
           "identities, or an unknown REID.TYPE",
           "one line saying which, before anything runs"),
    Attack("download-bad-paths", "missing `--from-file`, a file as `--cache`, names escaping the cache",
           "one line each, nothing written"),
    Attack("download-corrupt", "a corrupt, truncated or wrong-variant download",
           "refused by its checks, nothing left in the cache"),
    # frames and messages
    Attack("bad-frames", "unknown encoding, 0x0 image, truncated data, a damaged serialized image, boxes whose "
           "image never comes",
           "each reason logged once and counted, later frames flow"),
    Attack("huge-frames", "a 20000x20000 image, a compressed decompression bomb",
           "refused from the header before any pixel is allocated"),
    Attack("bad-boxes", "NaN, zero-width or non-person boxes from a detector or another node",
           "dropped before cropping"),
    Attack("non-finite-network", "NaN/Inf from the pose network (broken weights, fp16 overflow)",
           "those people dropped, said once; NMS and tracking go on"),
    Attack("malformed-pose-messages", "pose arrays with inconsistent lengths",
           "unpacked or refused with the error the nodes catch"),
    Attack("silent-or-mismatched-input", "a silent camera, nodes disagreeing on the keypoint format",
           "named once in the log and in /diagnostics"),
    # stamps and pairing
    Attack("image-wrong-encoding-label", "an image whose rows are far longer than its encoding says (float "
           "depth labelled 16UC1, RGBA labelled rgb8)", "refused as a likely wrong label, never misread "
           "(16-bit millimetres from float bytes gave z = 16 m for 2 m)"),
    Attack("depth-unusable", "a depth image in an unknown encoding or truncated, no or an uncalibrated "
           "camera_info, no depth image within the slop",
           "poses still published on poses_3d, without 3D, the reason logged once; 2D output unaffected"),
    Attack("robot-frames-unusable", "a target_frame nobody publishes, a /tf tree with a loop, a transform with a "
           "zero quaternion or NaN, a depth image of another size or all zeros",
           "each said once (the missing or looping frames also counted in /diagnostics); 3D in the camera's frame "
           "with that frame id, never a wrong one; the broken transform ignored; good frames keep flowing"),
    Attack("offline-stamp-order", "offline: stamps going backwards, frames sharing a stamp, images far ahead",
           "every frame paired with its own boxes"),
    Attack("live-duplicate-stamps", "live: a stamp seen twice", "never mis-paired: dropped and counted"),
    # processes and transport
    Attack("node-killed", "the pose node killed (-9) mid-stream and started again",
           "the other nodes keep running, tracked poses flow again"),
    Attack("runner-node-dies", "a node of `alphapose-pipeline --separate` dies",
           "named with its exit code, the rest stopped, exit 1; `--respawn` restarts it"),
    Attack("node-process-freezes", "a node process stops running Python for good (C code holding the GIL, as Fast "
           "DDS's image deserialization did under camera overload before images were taken serialized), or ends "
           "by itself",
           "the frozen one ends after `watchdog` s (exit 1, every thread's stack in its log); launch's respawn (the "
           "default), the runner's `--respawn` and the demo start it again, and tracked poses flow again"),
    Attack("signals", "SIGINT, SIGTERM or SIGHUP to the runner; Ctrl-C or SIGTERM to `ros2 launch`; the parent killed while its nodes start",
           "every node stops, none orphaned"),
    Attack("burst-losses", "a burst of large frames over best effort",
           "frames lost before delivery counted in /diagnostics and explained once"),
]

KEYS = {r.key for r in ROWS}
