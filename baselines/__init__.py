"""baselines package (populated by later milestones)."""
