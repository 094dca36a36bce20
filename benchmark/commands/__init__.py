"""Implementations of the ``python -m benchmark`` commands (imported lazily)."""
