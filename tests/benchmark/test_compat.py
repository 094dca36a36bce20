"""ensure_torchvision() makes torchvision and its dependents importable."""

import importlib

from benchmark.core.compat import ensure_torchvision


def test_torchvision_and_dependents_import():
    ensure_torchvision()
    torchvision = importlib.import_module("torchvision")
    lpips = importlib.import_module("lpips")
    transformers = importlib.import_module("transformers")

    assert torchvision.__version__
    assert hasattr(lpips, "LPIPS")
    assert transformers.__version__
    # A torchvision model can be built (no weights, no compiled ops needed).
    assert torchvision.models.alexnet(weights=None) is not None


def test_ensure_torchvision_is_idempotent():
    ensure_torchvision()
    first = importlib.import_module("torchvision")
    ensure_torchvision()
    assert importlib.import_module("torchvision") is first
