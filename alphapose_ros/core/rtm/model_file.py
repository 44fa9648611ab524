"""What an ONNX file of the RTMPose family is, read from its inputs and outputs alone (no sidecar):
a top-down SimCC model (simcc_x (B,K,W*r), simcc_y (B,K,H*r)), the one-stage RTMO (dets (1,N,5),
keypoints (1,N,K,3)) or an end-to-end detector (dets (1,N,5) [, labels (1,N)]), its input size and
its keypoint format. Anything else is refused with what was found and what was expected."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# keypoint count -> the format the released models give
FORMATS_BY_COUNT = {17: "coco_17", 26: "halpe_26", 133: "coco_wholebody_133"}
FAMILIES = ("simcc", "rtmo", "detector")
EXPECTED = ("a SimCC pose model (input (B,3,H,W); outputs simcc_x (B,K,W*r), simcc_y (B,K,H*r)), "
            "RTMO (input (1,3,H,W); outputs dets (1,N,5), keypoints (1,N,K,3)) or an end-to-end "
            "detector (input (1,3,H,W); outputs dets (1,N,5) and optionally labels (1,N))")


class ModelFileError(ValueError):
    """The file is not an ONNX model this package can run; the message says what is missing."""


@dataclass(frozen=True)
class OnnxModelSpec:
    path: Path
    family: str  # simcc | rtmo | detector
    input_name: str
    input_hw: tuple[int, int]
    batch: int | None  # the fixed batch size, None when the file takes any
    output_names: tuple[str, ...]
    num_keypoints: int = 0
    split_ratio: float = 0.0  # SimCC bins per input pixel

    @property
    def keypoint_format(self) -> str:
        return FORMATS_BY_COUNT[self.num_keypoints]

    def describe(self) -> str:
        what = "end-to-end person detector"
        if self.family != "detector":
            what = (f"{'SimCC top-down' if self.family == 'simcc' else 'RTMO one-stage'}, "
                    f"{self.num_keypoints} keypoints ({self.keypoint_format})")
        return f"{self.path.name}: {what}, input {self.input_hw[0]}x{self.input_hw[1]} (h x w)"


def _shape(value_info) -> tuple:
    """Dims of an ONNX value: ints where fixed, None where symbolic or absent."""
    dims = value_info.type.tensor_type.shape.dim
    return tuple(d.dim_value if d.HasField("dim_value") else None for d in dims)


def inspect_onnx(path: str | Path) -> OnnxModelSpec:
    """The spec of an ONNX file; ModelFileError naming the file, what it has and what was expected."""
    import onnx

    path = Path(path)
    try:
        model = onnx.load(str(path), load_external_data=False)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file") from None
    except Exception as e:  # protobuf's DecodeError and friends: not an ONNX file
        raise ModelFileError(f"{path}: not a readable ONNX file ({type(e).__name__}: {e})") from None
    g = model.graph
    initializers = {t.name for t in g.initializer}
    inputs = [(i.name, _shape(i)) for i in g.input if i.name not in initializers]
    outputs = [(o.name, _shape(o)) for o in g.output]
    found = (f"inputs {', '.join(f'{n} {s}' for n, s in inputs) or 'none'}; "
             f"outputs {', '.join(f'{n} {s}' for n, s in outputs) or 'none'}")
    if len(inputs) != 1 or len(inputs[0][1]) != 4 or inputs[0][1][1] not in (3, None):
        raise ModelFileError(f"{path}: one image input (B,3,H,W) expected; it has {found}")
    name, (batch, _, h, w) = inputs[0]
    if h is None or w is None:
        raise ModelFileError(f"{path}: the input's height and width are not fixed in the file ({found}); "
                             "export it with a fixed input size")
    if any(None in s[1:] for _, s in outputs):  # sizes the exporter left symbolic: run it once to see them
        outputs = _probe(path, name, (h, w), outputs)
        found += f" (run once: {', '.join(f'{n} {s}' for n, s in outputs)})"
    ranks = sorted(len(s) for _, s in outputs)
    base = dict(path=path, input_name=name, input_hw=(h, w), batch=batch,
                output_names=tuple(n for n, _ in outputs))
    if ranks == [3, 3]:
        return _simcc(path, outputs, base, found)
    by_rank = {len(s): (n, s) for n, s in outputs}
    if ranks == [3, 4] and by_rank[3][1][-1] == 5 and by_rank[4][1][-1] == 3:
        return OnnxModelSpec(family="rtmo", num_keypoints=_keypoints(path, by_rank[4][1][2], found),
                             **{**base, "output_names": (by_rank[3][0], by_rank[4][0])})
    if ranks in ([3], [2, 3]) and by_rank[3][1][-1] == 5:
        return OnnxModelSpec(family="detector", **{**base, "output_names": (by_rank[3][0],)})
    raise ModelFileError(f"{path}: not a model of the RTMPose family; it has {found}; expected {EXPECTED}")


def _probe(path: Path, input_name: str, hw: tuple[int, int], outputs: list) -> list:
    """The outputs' shapes (batch left open) from one ONNX Runtime run on a black image."""
    import numpy as np
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        got = session.run([n for n, _ in outputs], {input_name: np.zeros((1, 3, *hw), np.float32)})
    except Exception as e:
        raise ModelFileError(f"{path}: ONNX Runtime cannot run it ({type(e).__name__}: {e})") from None
    return [(n, (s[0], *g.shape[1:])) for (n, s), g in zip(outputs, got)]


def _simcc(path: Path, outputs: list, base: dict, found: str) -> OnnxModelSpec:
    """The SimCC spec: x is the output whose bins are the input width times the split ratio."""
    h, w = base["input_hw"]
    named = dict(outputs)
    if {"simcc_x", "simcc_y"} <= named.keys():
        x, y = ("simcc_x", named["simcc_x"]), ("simcc_y", named["simcc_y"])
    else:  # named otherwise: x first, as the released files order them
        x, y = outputs
    wx, wy = x[1][2], y[1][2]
    if not wx or not wy or abs(wx / w - wy / h) > 1e-6:
        raise ModelFileError(f"{path}: the SimCC outputs' bins do not match the input's width and height "
                             f"by one split ratio ({found})")
    k = _keypoints(path, x[1][1] or y[1][1], found)
    return OnnxModelSpec(family="simcc", num_keypoints=k, split_ratio=wx / w,
                         **{**base, "output_names": (x[0], y[0])})


def _keypoints(path: Path, k: int | None, found: str) -> int:
    if k not in FORMATS_BY_COUNT:
        raise ModelFileError(f"{path}: {k or 'an unfixed number of'} keypoints; this package knows "
                             f"{', '.join(f'{n} ({f})' for n, f in FORMATS_BY_COUNT.items())} ({found})")
    return k
