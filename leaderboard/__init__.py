"""The static leaderboard: submissions against the plan's milestones, with visual diffs.

``python -m leaderboard build --db runs/benchmark.db --out site/`` reads the
results database (``collect``), judges every submission against the
milestones (``milestones``, pure logic), matches each failing task's objects
to its reference (``diff``), lays out the charts (``plots``) and writes the
pages from Jinja2 templates (``render``).  Nothing here runs a submission or
touches the sandbox: the database and its artifacts are the only input.
"""

from leaderboard.collect import Board, LeaderboardError, collect
from leaderboard.milestones import MILESTONES, Evidence, evaluate, verdict
from leaderboard.render import BuildOptions, BuildReport, build_site

__all__ = ["MILESTONES", "Board", "BuildOptions", "BuildReport", "Evidence", "LeaderboardError",
           "build_site", "collect", "evaluate", "verdict"]
