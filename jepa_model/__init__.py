"""jepa_model package (populated by later milestones)."""
