"""Shared node plumbing: declared parameters with descriptions, log-once for bad input."""
from __future__ import annotations

import os
import sys

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.exceptions import InvalidParameterValueException


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


def run_nodes(factories, args=None, threads: int | None = None) -> None:
    """rclpy.init, build the nodes, spin them on one multi-threaded executor until Ctrl-C."""
    import rclpy
    from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor

    rclpy.init(args=args)
    nodes = []
    try:
        nodes = [f() for f in factories]
        ex = MultiThreadedExecutor(num_threads=threads or max(2, len(nodes)))
        for n in nodes:
            ex.add_node(n)
        ex.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except ValueError as e:  # a parameter out of range: one line, not a traceback
        print(f"alphapose_ros: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    finally:
        for n in nodes:
            n.destroy_node()
        rclpy.try_shutdown()
