"""Human evaluation: a Gradio app for blind 1–5 layout ratings, and their statistics.

``python -m human_eval serve --runs RUN_ID ...`` serves the frames of benchmark
runs to raters (blind, randomised per rater, with attention checks);
``python -m human_eval report`` computes the Milestone 3 numbers and writes
them into the store.  Modules: ``storage`` (the rating tables behind a small
interface), ``items`` and ``checks`` (what is rated), ``rater_queue`` (what each
rater sees next), ``session`` (the actions, without UI), ``app`` (the Gradio
components), ``stats`` (pure statistics, Krippendorff's alpha), ``report``.
Gradio is imported only by ``serve``.
"""

__all__ = ["APP_VERSION"]

#: Stored with every rating.  Bump it when the rubric, what an item shows or the
#: way items are served changes, so ratings made under different versions can
#: be told apart.
APP_VERSION = "1.0"
