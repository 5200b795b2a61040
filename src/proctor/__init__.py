"""Proctor: scalable-oversight research toolkit.

Can a weaker overseer (a small model, a verifier, a monitor) supervise a stronger model, and which technique
closes most of that gap? See docs/architecture.md for the map.
"""

__version__ = "0.1.0"
