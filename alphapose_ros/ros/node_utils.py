"""Shared node plumbing: declared parameters with descriptions, log-once for bad input."""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from dataclasses import replace

import numpy as np
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.exceptions import InvalidParameterValueException

from alphapose_ros.core.tracking.one_euro import OneEuroParams


def declare(node, name: str, default, description: str, range: tuple | None = None):
    """Declare a parameter with its description (and inclusive `range` (lo, hi), which ROS
    tools show and enforce on later sets too) and return its value. A start-up value outside
    the range is refused with one clear line naming the parameter."""
    d = ParameterDescriptor(description=description)
    if range is not None:
        lo, hi = range
        if isinstance(default, float):
            d.floating_point_range = [FloatingPointRange(from_value=float(lo), to_value=float(hi), step=0.0)]
        else:
            d.integer_range = [IntegerRange(from_value=int(lo), to_value=int(hi), step=1)]
    try:
        node.declare_parameter(name, default, d)
    except InvalidParameterValueException as e:
        raise ValueError(f"{node.get_name()}: parameter {name} is outside its range [{range[0]}, {range[1]}] "
                         f"({description})") from e
    return node.get_parameter(name).value


def declare_smoothing(node, defaults: OneEuroParams, unit: str) -> OneEuroParams | None:
    """The One-Euro parameters of a node that smooths per track (core/tracking/one_euro.py), None when its
    `smoothing` parameter is off. `unit` names what beta's speed is measured in."""
    on = declare(node, "smoothing", True, "One-Euro filter per track and keypoint (steady keypoints, velocities); "
                 "the unsmoothed poses go on the output topic + _unsmoothed")
    p = OneEuroParams(
        min_cutoff=declare(node, "smooth_min_cutoff", defaults.min_cutoff, "cutoff of a still keypoint (Hz): lower "
                           "is steadier", range=(0.001, 100.0)),
        beta=declare(node, "smooth_beta", defaults.beta, f"how fast the cutoff rises with speed (Hz per {unit}): "
                     "higher lags less", range=(0.0, 10000.0)),
        d_cutoff=declare(node, "smooth_d_cutoff", defaults.d_cutoff, "cutoff of the speed estimate (Hz)",
                         range=(0.001, 100.0)),
        max_gap=declare(node, "smooth_max_gap", defaults.max_gap, "a track or keypoint unseen this long (image "
                        "time, s) starts over", range=(0.0, 60.0)),
        max_speed=defaults.max_speed)
    if np.isfinite(defaults.max_speed):
        p = replace(p, max_speed=declare(node, "smooth_max_speed", defaults.max_speed, f"a keypoint moving faster "
                                         f"({unit}) is an outlier: NaN until it lasts smooth_max_gap",
                                         range=(0.0, 1e6)))
    return p if on else None


def declare_path(node, name: str, description: str) -> str:
    """A file-path parameter (default empty), with ~ and $VARS expanded as a shell would."""
    value = declare(node, name, "", description)
    return os.path.expandvars(os.path.expanduser(value)) if value else value


class SkipLog:
    """Log each distinct reason for skipping input once (then count it silently)."""

    def __init__(self, logger):
        self.logger = logger
        self.counts: dict[str, int] = {}

    def __call__(self, reason: str) -> None:
        n = self.counts.get(reason, 0)
        self.counts[reason] = n + 1
        if n == 0:
            self.logger.warning(f"skipping input: {reason} (logged once; later ones are counted)")

    @property
    def total(self) -> int:
        return sum(self.counts.values())


PARENT_VAR = "ALPHAPOSE_ROS_PARENT_PID"


def stop_with_parent() -> None:
    """Linux: have the kernel send this process SIGTERM when the process that started it ends. Upstream
    launch, itself sent SIGTERM (docker stop, a supervisor), exits without stopping its nodes; this way
    they stop cleanly instead of running on as orphans."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux
        return
    # a parent that says who it is (node_env): if it died while this process was still starting, the kernel
    # will never send the signal, so stop now
    parent = os.environ.get(PARENT_VAR, "")
    if parent.isdigit() and os.getppid() != int(parent):
        os.kill(os.getpid(), signal.SIGTERM)


def node_env(env: dict | None = None) -> dict:
    """The environment for node processes this process starts: as `env` (default: this one's), with this
    process's PID, so that a node whose parent died before it could ask to be told stops by itself."""
    return {**(os.environ if env is None else env), PARENT_VAR: str(os.getpid())}


EXECUTOR_VAR = "ALPHAPOSE_ROS_EXECUTOR"
EXECUTORS = ("events", "multi_threaded")


def make_executor(n_nodes: int, threads: int | None = None, context=None):
    """The executor a process spins its nodes on: rclpy's EventsExecutor where this rclpy has it (its event
    queue is C++; the multi-threaded executor rebuilds its wait set in Python for every callback, and on a
    2-core robot that Python stalls the pose stages by 100-500 ms several times a second), otherwise, or
    with ALPHAPOSE_ROS_EXECUTOR=multi_threaded, a MultiThreadedExecutor. Either works here: the slow
    stages run on their own worker threads, so callbacks are short."""
    from rclpy.executors import MultiThreadedExecutor

    kind = os.environ.get(EXECUTOR_VAR, "events") or "events"
    if kind not in EXECUTORS:
        raise ValueError(f"{EXECUTOR_VAR}={kind!r}: choose one of {', '.join(EXECUTORS)}")
    if kind == "events":
        try:
            from rclpy.experimental import EventsExecutor
        except ImportError:  # rclpy before Jazzy
            pass
        else:
            # it enables faulthandler on sys.stderr, which needs a real file (not so under captured output)
            saved = sys.stderr
            try:
                saved.fileno()
            except (AttributeError, OSError, ValueError):
                sys.stderr = sys.__stderr__
            try:
                return EventsExecutor(context=context)
            finally:
                sys.stderr = saved
    return MultiThreadedExecutor(num_threads=threads or max(2, n_nodes), context=context)


def spin_on_thread(ex) -> threading.Event:
    """Spin `ex` on a daemon thread until the returned event is cleared (spin_once in a loop: rclpy's
    EventsExecutor.spin() on a thread other than the main one fires no timers and keeps a core busy)."""
    spinning = threading.Event()
    spinning.set()

    def spin() -> None:
        while spinning.is_set():
            try:
                ex.spin_once(timeout_sec=0.1)
            except Exception:  # the executor or rclpy shut down under a spin that was ending anyway
                if spinning.is_set():
                    raise

    threading.Thread(target=spin, name="executor", daemon=True).start()
    return spinning


def run_nodes(factories, args=None, threads: int | None = None) -> None:
    """A node process's main: rclpy.init, build the nodes, spin them on one executor (`make_executor`) until
    SIGINT, SIGTERM or SIGHUP, destroy them, then end the process. A freeze ends it with exit code 1
    (ros/watchdog.py; ALPHAPOSE_ROS_WATCHDOG_S), for launch's respawn or the runner's --respawn.

    Shutdown is quiet and quick however it is asked for (Ctrl-C on a terminal, SIGINT to the whole process
    group from a script or launch, SIGTERM): the signals only set a flag the spin loop checks, so a second
    signal during clean-up (launch forwards SIGINT to nodes that already got it from the group) cannot
    raise in the middle of it; the process exits 0 without the interpreter's final teardown (seconds of
    garbage collection of torch and DDS objects on a loaded machine), inside launch's grace period."""
    import rclpy
    from rclpy.exceptions import InvalidHandle
    from rclpy.executors import ExternalShutdownException
    from rclpy.logging import get_logger
    from rclpy.signals import SignalHandlerOptions

    from alphapose_ros.ros.watchdog import start_from_env

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    stop_with_parent()
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    nodes, code, watchdog = [], 0, None
    try:
        watchdog = start_from_env(get_logger("alphapose_ros").info)
        nodes = [f() for f in factories]
        ex = make_executor(len(nodes), threads)
        for n in nodes:
            ex.add_node(n)
        while not stop.is_set() and rclpy.ok():
            try:
                ex.spin_once(timeout_sec=0.1)
            except InvalidHandle:
                # a callback on another executor thread destroyed a subscription (a camera subscription
                # re-made to match its publishers' reliability) while this thread was building the wait set;
                # the next wait set no longer holds it
                continue
    except ExternalShutdownException:
        pass
    except ValueError as e:  # a parameter out of range: one line, not a traceback
        print(f"alphapose_ros: {e}", file=sys.stderr)
        code = 2
    finally:
        if watchdog is not None:  # clean-up may rightly take long, and a hang there is ended by launch
            watchdog.stop()
        for n in nodes:
            n.destroy_node()
        rclpy.try_shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def int8_from_cache(int8, logger, what: str, samples: str):
    """INT8 on first use (core.engines.first_use_int8) at configure: the INT8 `what` an earlier start cached, or
    None, saying which; `samples` names what calibrates it ("64 people posed")."""
    cached = int8.cached()
    if cached is not None:
        logger.info(f"INT8 {what} from the cache ({int8.path.name}): ONNX Runtime")
    else:
        logger.info(f"INT8 on first use: the first {samples} calibrate an INT8 copy of the {what} in the "
                    "background; FP32 answers until then")
    return cached


def int8_switch(int8, logger, what: str, image, boxes):
    """INT8 on first use, after a frame: offer it; the INT8 `what` when it has just become ready (switch to it),
    else None (a failure is said once, and the FP32 one stays)."""
    if int8 is None or int8.done:
        return None
    int8.offer(image, boxes)
    made = int8.ready()
    if made is not None:
        c = int8.change
        moved = (f": keypoints moved {c['kp_px_median']:.2f} px median, {c['kp_px_max']:.2f} max (crop px) from "
                 "FP32 on its calibration crops") if c else ""
        logger.info(f"switched to the INT8 {what} ({int8.path.name}, ONNX Runtime){moved}")
    elif int8.error:
        logger.warning(f"INT8 on first use failed ({int8.error}); the {what} stays FP32")
    return made
