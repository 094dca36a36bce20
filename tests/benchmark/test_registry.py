"""The generic registry: lazy targets, aliases, entry points, did-you-mean."""

from __future__ import annotations

import sys
import types

import pytest

from benchmark.core.registry import Registry, RegistryError
from benchmark.core.submission import Submission, SubmissionError, submissions


def test_lazy_target_is_imported_only_when_resolved():
    module = types.ModuleType("_lazy_probe")
    module.thing = object()
    reg: Registry[object] = Registry("widget")
    reg.add("probe", "_lazy_probe:thing")
    assert "_lazy_probe" not in sys.modules
    sys.modules["_lazy_probe"] = module
    try:
        assert reg.get("probe") is module.thing
    finally:
        del sys.modules["_lazy_probe"]


def test_alias_resolves_to_the_same_object():
    reg: Registry[int] = Registry("number")

    @reg.register("seven", "sept")
    def seven() -> int:
        return 7

    assert reg.get("sept") is reg.get("seven")


def test_a_near_miss_suggests_the_name():
    with pytest.raises(RegistryError, match="did you mean 'template'"):
        submissions.get("tempalte")


def test_a_broken_target_names_what_failed():
    reg: Registry[object] = Registry("widget")
    reg.add("broken", "no_such_module_anywhere:thing")
    with pytest.raises(RegistryError, match="cannot load no_such_module_anywhere:thing"):
        reg.get("broken")


def test_unknown_model_argument_is_refused():
    oracle = submissions.get("oracle")
    with pytest.raises(SubmissionError, match="unknown model argument 'temperature'"):
        oracle(temperature="0.7")
    assert issubclass(oracle, Submission)
