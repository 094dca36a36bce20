"""leaderboard package (populated by later milestones)."""
