"""Command-line tools (offline inference, bag processing, downloads, benchmarks)."""
