"""Training-side parts of the paper: losses, proposal generation, parameter searches."""
