"""Darknet networks (YOLOv3-SPP) from a .cfg file and a binary .weights file.

The .weights file is a 20-byte header (5 int32: major, minor, revision, and a 64-bit
"seen" counter) followed by float32 values consumed layer by layer in cfg order: for
a conv with batch norm [beta, gamma, running mean, running var, kernel], otherwise
[bias, kernel]. A file must hold exactly as many values as the cfg needs.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HEADER_BYTES = 20


class DarknetError(RuntimeError):
    """A cfg or weights file that does not describe / fit the network."""


def parse_cfg(text: str) -> list[dict[str, str]]:
    """Blocks of a darknet cfg: [{'type': 'convolutional', 'filters': '32', ...}, ...]."""
    blocks: list[dict[str, str]] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise DarknetError(f"bad section header {line!r}")
            blocks.append({"type": line[1:-1].strip()})
        elif "=" in line and blocks:
            k, v = line.split("=", 1)
            blocks[-1][k.strip()] = v.strip()
        else:
            raise DarknetError(f"cannot parse cfg line {raw!r}")
    if not blocks or blocks[0]["type"] != "net":
        raise DarknetError("a darknet cfg starts with a [net] section")
    return blocks


class _Conv(nn.Module):
    def __init__(self, cin: int, b: dict[str, str]):
        super().__init__()
        filters, size, stride = int(b["filters"]), int(b["size"]), int(b.get("stride", 1))
        pad = (size - 1) // 2 if int(b.get("pad", 0)) else 0
        self.bn_on = bool(int(b.get("batch_normalize", 0)))
        self.conv = nn.Conv2d(cin, filters, size, stride, pad, bias=not self.bn_on)
        self.bn = nn.BatchNorm2d(filters) if self.bn_on else None
        self.leaky = b.get("activation", "linear") == "leaky"
        if b.get("activation", "linear") not in ("leaky", "linear"):
            raise DarknetError(f"unsupported activation {b['activation']!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return F.leaky_relu(x, 0.1) if self.leaky else x

    def num_values(self) -> int:
        n = self.conv.weight.numel()
        return n + (4 * self.bn.num_features if self.bn is not None else self.conv.bias.numel())


class Darknet(nn.Module):
    """The network of a cfg; forward returns raw outputs of the [yolo] layers (B,A*(5+C),g,g)."""

    def __init__(self, blocks: list[dict[str, str]]):
        super().__init__()
        self.net = blocks[0]
        self.blocks = blocks[1:]
        self.layers = nn.ModuleList()
        self.yolo: list[dict] = []
        channels: list[int] = []
        c = int(self.net.get("channels", 3))
        for i, b in enumerate(self.blocks):
            t = b["type"]
            mod: nn.Module = nn.Identity()
            if t == "convolutional":
                mod = _Conv(c, b)
                c = int(b["filters"])
            elif t == "route":
                idx = [int(v) for v in b["layers"].split(",")]
                b["_from"] = ",".join(str(j if j >= 0 else i + j) for j in idx)
                c = sum(channels[int(j)] for j in b["_from"].split(","))
            elif t == "shortcut":
                b["_from"] = str(i + int(b["from"]))
            elif t not in ("upsample", "maxpool", "yolo"):
                raise DarknetError(f"unsupported darknet layer [{t}]")
            if t == "yolo":
                mask = [int(v) for v in b["mask"].split(",")]
                a = [float(v) for v in b["anchors"].split(",")]
                anchors = [(a[2 * m], a[2 * m + 1]) for m in mask]
                self.yolo.append({"index": i, "anchors": anchors, "classes": int(b["classes"])})
            self.layers.append(mod)
            channels.append(c)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs: list[torch.Tensor] = []
        raw = []
        for b, layer in zip(self.blocks, self.layers):
            t = b["type"]
            if t == "convolutional":
                x = layer(x)
            elif t == "upsample":
                x = F.interpolate(x, scale_factor=int(b.get("stride", 2)), mode="nearest")
            elif t == "maxpool":
                size, stride = int(b["size"]), int(b.get("stride", 1))
                if stride == 1:  # 'same' size: pad with zeros (as AlphaPose does), then pool
                    p = (size - 1) // 2
                    x = F.max_pool2d(F.pad(x, (p, size - 1 - p, p, size - 1 - p)), size, 1)
                else:
                    x = F.max_pool2d(x, size, stride)
            elif t == "route":
                x = torch.cat([outs[int(j)] for j in b["_from"].split(",")], 1)
            elif t == "shortcut":
                x = outs[-1] + outs[int(b["_from"])]
            elif t == "yolo":
                raw.append(x)
            outs.append(x)
        return raw

    def num_weight_values(self) -> int:
        return sum(m.num_values() for m in self.layers if isinstance(m, _Conv))

    def load_weights(self, path: str | Path) -> None:
        """Read a darknet .weights file; refuse one whose size does not fit this cfg."""
        path = Path(path)
        if not path.is_file():
            raise DarknetError(f"darknet weights not found: {path}")
        size = path.stat().st_size
        need = self.num_weight_values()
        if size != HEADER_BYTES + 4 * need:
            raise DarknetError(f"{path.name}: {size} bytes hold {(size - HEADER_BYTES) / 4:.0f} float32 values after "
                               f"the {HEADER_BYTES}-byte header, but this cfg needs exactly {need} "
                               f"({HEADER_BYTES + 4 * need} bytes): wrong file or wrong cfg")
        data = np.fromfile(path, dtype="<f4", offset=HEADER_BYTES)
        pos = 0

        def take(t: torch.Tensor) -> None:
            nonlocal pos
            n = t.numel()
            t.data.copy_(torch.from_numpy(data[pos:pos + n].copy()).view_as(t))
            pos += n

        with torch.no_grad():
            for m in self.layers:
                if not isinstance(m, _Conv):
                    continue
                if m.bn is not None:
                    for t in (m.bn.bias, m.bn.weight, m.bn.running_mean, m.bn.running_var):
                        take(t)
                else:
                    take(m.conv.bias)
                take(m.conv.weight)
        assert pos == need

    def save_weights(self, path: str | Path, seen: int = 0) -> None:
        """Write this network's values in darknet order (for tests and conversions)."""
        parts = []
        for m in self.layers:
            if isinstance(m, _Conv):
                ts = [m.bn.bias, m.bn.weight, m.bn.running_mean, m.bn.running_var] if m.bn is not None else [m.conv.bias]
                parts += [t.detach().cpu().numpy().ravel() for t in ts + [m.conv.weight]]
        header = np.array([0, 2, 0, seen & 0xFFFFFFFF, seen >> 32], "<i4")
        with open(path, "wb") as f:
            f.write(header.tobytes())
            f.write(np.concatenate(parts).astype("<f4").tobytes())


def decode_yolo_output(raw: torch.Tensor, anchors: list[tuple[float, float]], inp_dim: int,
                       num_classes: int) -> torch.Tensor:
    """(B, A*(5+C), g, g) raw conv output -> (B, g*g*A, 5+C) rows of
    (cx, cy, w, h in input pixels, sigmoid objectness, C sigmoid class scores).
    Rows are cell-major (row-major cells), anchors in mask order within a cell."""
    b, _, g, _ = raw.shape
    na, attrs = len(anchors), 5 + num_classes
    stride = inp_dim // g
    p = raw.float().reshape(b, na * attrs, g * g).transpose(1, 2).reshape(b, g * g * na, attrs)
    ys, xs = torch.meshgrid(torch.arange(g, device=raw.device), torch.arange(g, device=raw.device), indexing="ij")
    offs = torch.stack([xs.reshape(-1), ys.reshape(-1)], -1).repeat_interleave(na, 0).to(p.dtype)
    anc = torch.tensor(anchors, dtype=p.dtype, device=raw.device).repeat(g * g, 1)
    out = torch.empty_like(p)
    out[..., :2] = (torch.sigmoid(p[..., :2]) + offs) * stride
    out[..., 2:4] = torch.exp(p[..., 2:4]) * anc
    out[..., 4:] = torch.sigmoid(p[..., 4:])
    return out
