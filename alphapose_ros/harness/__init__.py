"""What the benchmarks and the tests share to drive the package from outside: the launched graph and its
camera, node processes with their publishers, the messages a depth camera sends, reference implementations
to compare against. Never imported by the core or the nodes."""
