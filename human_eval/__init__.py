"""human_eval package (populated by later milestones)."""
