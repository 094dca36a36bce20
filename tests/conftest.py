"""Fixtures shared by the tests that run the real runner on the tiny suite (a file may define
its own fixture of the same name, which then wins)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from _tiny_suite import tiny_suite

from benchmark.core.tasks import Suite
from benchmark.render import Renderer
from benchmark.sandbox import SandboxConfig


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> SandboxConfig:
    """A sandbox with its own TeX cache, one per test module."""
    return SandboxConfig(cache_dir=tmp_path_factory.mktemp("sandbox-cache"))


@pytest.fixture(scope="module")
def suite(sandbox) -> Suite:
    """The tiny synthetic suite, its reference layouts measured in ``sandbox``."""
    with Renderer(replace(sandbox, namespace="tiny-suite"), jobs=2) as r:
        return tiny_suite(r)
