"""The JEPA layout model: the project's own submission, ``jepa``.

A joint-embedding predictive architecture over the objects of a scene predicts
where every object without a given box goes; the shared composer
(``benchmark.compose``) then writes the Manim CE code.  The pieces:

* tasks as arrays: ``features`` (one token per object and a prompt vector),
  ``structure`` (family, stated places, relations), ``tokens``;
* the model: ``encoder`` (transformer blocks, the predictor), ``model`` (context
  encoder, EMA target encoder, layout head), ``placement`` (boxes as Manim
  placements), optional ``image`` branch with ``frames`` and ``masks``;
* training: ``config`` (strict YAML configs in ``configs/``), ``data`` (training
  scenes, the held-out guard, the batch collator), ``pack`` (featurised scenes
  that travel to a GPU machine), ``train`` (with ``loop``, the optimisation loop,
  and ``validation``, the benchmark's miou on ``val``), ``checkpoint``
  (safetensors checkpoints and inference exports);
* use: ``submission`` (the registered ``jepa`` submission), ``codegen`` (the
  ``codegen=llm`` writer: the ``llm`` submission, found by name in the registry),
  ``probe`` and ``bench`` (``python -m jepa_model``).

The shipped checkpoints live in ``checkpoints/``.  A submissions-tier package: it
builds on ``benchmark`` and never imports its sibling ``baselines``
(docs/architecture.md).  How to train and run it: docs/jepa.md.
"""
