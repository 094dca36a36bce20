"""jepa-manim benchmark harness: sandboxed rendering, measurement and scoring."""

__version__ = "0.1.0"
