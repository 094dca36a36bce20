"""The core tier: facts every other part of jepa-manim shares, and nothing else.

* :mod:`benchmark.core.frame` — the frame's size in scene units;
* :mod:`benchmark.core.geometry` — :class:`Box` and the IoU variants;
* :mod:`benchmark.core.tasks` — the task format (Task JSON) and suites of tasks;
* :mod:`benchmark.core.submission` — what a submission is (``generate(task)``);
* :mod:`benchmark.core.text` — the sentence encoder and its embedding cache;
* :mod:`benchmark.core.paths` — default locations (results database, caches).

Core modules import only the standard library, numpy and each other; heavy
packages (torch, transformers) are imported inside the functions that need them.
"""
