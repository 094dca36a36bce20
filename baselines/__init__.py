"""The baseline submissions: reference points every other submission is read against.

Each module is one submission, registered by name in
``benchmark.core.submission.submissions`` as a lazy ``"module:attr"`` target, so
nothing here is imported until ``--model`` names it:

* ``oracle`` (:mod:`baselines.oracle`): the task's reference — the upper bound;
* ``random`` (:mod:`baselines.random_layout`): the objects at seeded random
  positions — the lower bound;
* ``template`` (:mod:`baselines.template`): rule-based placement from the stated
  relations and anchors (its plan in ``_plan``, its context-task rules in
  ``_context``, the Manim helpers it writes into scenes in ``_helpers``);
* ``retrieval`` (:mod:`baselines.retrieval`): the nearest training scene's layout,
  adapted to the new contents (``_adapt``, its object matching in ``_match``);
* ``llm`` (:mod:`baselines.llm`): a language model writes the scene from the
  description (Hugging Face ``transformers`` or any OpenAI-compatible server);
* ``file`` (:mod:`baselines.file`): programs generated anywhere, read from a
  JSONL file.

A submissions-tier package: it builds on ``benchmark`` and never imports its
sibling ``jepa_model`` (docs/architecture.md).  How to run each: docs/submissions.md.
"""
