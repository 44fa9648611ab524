"""Per-node health on /diagnostics, and the loud once-only warning when no input arrives.

Each stage node counts what comes in and goes out; once a second it publishes input and
output rates, latency from the image stamp (node clock, so it follows /clock under
use_sim_time; p50 and p99), the node's own processing time per output (p50 and p99: latency
minus processing is waiting) and dropped frames as a diagnostic_msgs/DiagnosticArray. If nothing has
arrived `no_input_warn_s` after activation, it warns once, naming the topic, the QoS it
subscribes with and what the publishers on that topic offer: a silent camera or a QoS
mismatch is the usual reason for seeing no output.
"""
from __future__ import annotations

import math
import time
from collections import deque

from collections.abc import Callable

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from alphapose_ros.ros.node_utils import declare


def declare_no_input_warning(node) -> float:
    """The `no_input_warn_s` parameter every stage node has."""
    return declare(node, "no_input_warn_s", 5.0, "warn once (topic and QoS) when no input arrives this long "
                   "after activation", range=(0.1, 86400.0))


class RateWindow:
    """Event count over the last `window` seconds (monotonic clock)."""

    def __init__(self, window: float = 5.0):
        self.window = window
        self._t: deque = deque()

    def add(self, now: float) -> None:
        self._t.append(now)

    def rate(self, now: float) -> float:
        while self._t and self._t[0] < now - self.window:
            self._t.popleft()
        if len(self._t) < 2:
            return 0.0
        return (len(self._t) - 1) / max(self._t[-1] - self._t[0], 1e-9)


def describe_qos(q) -> str:
    rel = "reliable" if q.reliability == ReliabilityPolicy.RELIABLE else "best_effort"
    dur = "transient_local" if q.durability == DurabilityPolicy.TRANSIENT_LOCAL else "volatile"
    return f"{rel}/{dur}"


def qos_problem(sub: QoSProfile, pub) -> str | None:
    """Why a publisher with QoS `pub` cannot reach a subscription with `sub`, or None."""
    if sub.reliability == ReliabilityPolicy.RELIABLE and pub.reliability == ReliabilityPolicy.BEST_EFFORT:
        return "the subscription needs reliable delivery, the publisher is best effort"
    if sub.durability == DurabilityPolicy.TRANSIENT_LOCAL and pub.durability == DurabilityPolicy.VOLATILE:
        return "the subscription needs transient-local durability, the publisher is volatile"
    return None


def percentile(ordered: list[float], q: float) -> float:
    """The q-th percentile of an ascending list (nearest rank: a value that occurred)."""
    return ordered[min(len(ordered), max(1, math.ceil(q / 100 * len(ordered)))) - 1]


class StageMonitor:
    """Counts a node's input/output and publishes its diagnostics; see the module docstring."""

    def __init__(self, node, stage: str, input_topic: str, input_qos: QoSProfile, period: float = 1.0,
                 no_input_warn_s: float = 5.0, drops: Callable[[], int] | None = None):
        self.node = node
        self.stage = stage
        self.topic = node.resolve_topic_name(input_topic)
        self.qos = input_qos
        self.no_input_warn_s = no_input_warn_s
        self.inputs, self.outputs = RateWindow(), RateWindow()
        self.n_in = self.n_out = self.dropped = 0
        self.lost = 0  # messages DDS reported lost before delivery (where the middleware reports them)
        self.drops = drops  # the node's own count of dropped frames, when it keeps one
        self.latency_ms: deque = deque(maxlen=200)
        self.busy_ms: deque = deque(maxlen=200)
        self.started = time.monotonic()
        self.warning: str | None = None
        self.degraded: dict[str, int] = {}  # reason -> frames that went out degraded (count())
        self._degraded_seen = 0
        self.pub = node.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.timer = node.create_timer(period, self.tick)

    def on_input(self) -> None:
        self.n_in += 1
        self.inputs.add(time.monotonic())

    def on_output(self, header, started: float | None = None) -> None:
        """One output for the image `header` stamps; `started`: time.perf_counter() when its work began."""
        self.n_out += 1
        if started is not None:
            self.busy_ms.append((time.perf_counter() - started) * 1e3)
        self.outputs.add(time.monotonic())
        now = self.node.get_clock().now().nanoseconds
        stamp = header.stamp.sec * 1_000_000_000 + header.stamp.nanosec
        if stamp > 0:
            self.latency_ms.append((now - stamp) / 1e6)

    def on_drop(self, n: int = 1) -> None:
        self.dropped += n

    def on_lost(self, n: int) -> None:
        """`n` more input messages that DDS could not deliver (its message-lost event); warned about once."""
        if n > 0 and not self.lost:
            self.node.get_logger().warning(
                f"{n} message(s) on {self.topic} lost before delivery (reported by DDS; counted in /diagnostics). "
                "Large best-effort images are the usual cause: start the camera with the Fast DDS profile "
                "config/dds/fastdds_large_images.xml, or let it publish reliably")
        self.lost += max(0, n)

    def count(self, reason: str, detail: str = "") -> None:
        """One frame that still went out, degraded for `reason` (a short, fixed text: a missing transform): logged
        the first time with its `detail`, counted in /diagnostics (the status is WARN while it goes on)."""
        if reason not in self.degraded:
            self.node.get_logger().warning(f"{reason}{': ' + detail if detail else ''} (logged once; counted in "
                                           "/diagnostics)")
        self.degraded[reason] = self.degraded.get(reason, 0) + 1

    def restart(self) -> None:
        """Activation: start the no-input clock again."""
        self.started = time.monotonic()
        self.warning = None

    def check_input(self) -> str | None:
        """The no-input warning text (logged once), or None while input flows or it is early."""
        if self.n_in or self.warning is not None or time.monotonic() - self.started < self.no_input_warn_s:
            return None
        pubs = self.node.get_publishers_info_by_topic(self.topic)
        want = describe_qos(self.qos)
        if not pubs:
            why = "nobody publishes it (is the camera running, is the topic remapped?)"
        else:
            offers = ", ".join(f"{p.node_name or '?'}: {describe_qos(p.qos_profile)}" for p in pubs)
            problems = {qos_problem(self.qos, p.qos_profile) for p in pubs} - {None}
            why = f"publishers offer {offers}" + (f" -- incompatible: {'; '.join(sorted(problems))}" if problems
                                                   else " (compatible: are they publishing?)")
            if not problems and self.qos.reliability == ReliabilityPolicy.BEST_EFFORT and any(
                    p.qos_profile.reliability == ReliabilityPolicy.RELIABLE for p in pubs):
                why += ("; large images can be lost whole over best-effort delivery, and with publishers of both "
                        "kinds the subscription stays best effort: set camera_reliable:=true")
        self.warning = (f"no input on {self.topic} for {self.no_input_warn_s:g} s: this node subscribes with "
                        f"QoS {want}; {why}")
        self.node.get_logger().warning(self.warning)
        return self.warning

    def tick(self) -> None:
        self.check_input()
        now = time.monotonic()
        lat = sorted(self.latency_ms)
        st = DiagnosticStatus(name=f"{self.node.get_fully_qualified_name()}: {self.stage}",
                              hardware_id=self.node.get_name())
        if self.warning is not None and not self.n_in:
            st.level, st.message = DiagnosticStatus.WARN, f"no input on {self.topic}"
        elif sum(self.degraded.values()) > self._degraded_seen:
            st.level, st.message = DiagnosticStatus.WARN, "degraded: " + "; ".join(self.degraded)
        else:
            st.level, st.message = DiagnosticStatus.OK, "running"
        self._degraded_seen = sum(self.degraded.values())
        values = {"input topic": self.topic, "input rate (Hz)": f"{self.inputs.rate(now):.2f}",
                  "output rate (Hz)": f"{self.outputs.rate(now):.2f}", "inputs": str(self.n_in),
                  "outputs": str(self.n_out),
                  "dropped frames": str(self.dropped + (self.drops() if self.drops else 0)),
                  "lost before delivery": str(self.lost)}
        values.update({f"degraded: {reason}": str(n) for reason, n in self.degraded.items()})
        for name, window in (("latency", lat), ("processing", sorted(self.busy_ms))):
            if window:
                values[f"{name} p50 (ms)"] = f"{percentile(window, 50):.1f}"
                values[f"{name} p99 (ms)"] = f"{percentile(window, 99):.1f}"
                values[f"{name} max (ms)"] = f"{window[-1]:.1f}"
        st.values = [KeyValue(key=k, value=v) for k, v in values.items()]
        msg = DiagnosticArray(status=[st])
        msg.header.stamp = self.node.get_clock().now().to_msg()
        self.pub.publish(msg)


def counting_losses(create: Callable[..., object], monitor: Callable[[], StageMonitor | None]):
    """`create(**kw)` (a subscription factory) asking DDS to report the messages it could not deliver, counted
    by the stage's monitor; plain `create()` where the middleware has no such report. Frames a keep-last
    queue replaces before the node takes them are not reported by DDS and cannot be counted."""
    from rclpy.event_handler import SubscriptionEventCallbacks, UnsupportedEventTypeError

    def lost(info) -> None:
        m = monitor()
        if m is not None:
            m.on_lost(int(info.total_count_change))

    try:
        return create(event_callbacks=SubscriptionEventCallbacks(message_lost=lost))
    except UnsupportedEventTypeError:
        return create()
