"""Compatibility shims for the pinned dependency set.

torchvision 0.28.0 on PyPI is a CUDA build. Next to a CPU-only torch 2.13.0 its
compiled extension (``torchvision/_C.so``) cannot be loaded, because it links
against ``libtorch_cuda.so``/``libc10_cuda.so``. torchvision then continues
without its custom operators, but ``torchvision/_meta_registrations.py``
unconditionally calls ``torch.library.register_fake`` for ``torchvision::nms``
and ``torchvision::qnms``, which requires the operator schemas to exist.
``import torchvision`` therefore fails with::

    RuntimeError: operator torchvision::nms does not exist

(pytorch/vision#9085). The failure also breaks everything that imports
torchvision, e.g. ``lpips`` and the vision parts of ``transformers``.

:func:`ensure_torchvision` works around this by defining the missing operator
*schemas* (no kernels) with :mod:`torch.library` and importing torchvision again.
Everything that does not use torchvision's compiled operators (models,
transforms, ``torchvision.models`` weights used by LPIPS, ...) works normally.
The compiled operators themselves stay unavailable: ``torchvision.ops.nms``,
``roi_align``, ``deform_conv2d`` etc. raise torchvision's own
``RuntimeError("Couldn't load custom C++ ops. ...")``, and calling
``torch.ops.torchvision.nms`` directly raises ``NotImplementedError`` (no kernel
for the CPU backend). The benchmark does not use any of these operators.

This module is deliberately light: torch is only imported inside the function.
"""

from __future__ import annotations

import re
import sys

__all__ = ["ensure_torchvision"]

# Operators for which torchvision 0.28's Python code registers fake kernels at
# import time regardless of whether its C++ extension loaded (see
# torchvision/_meta_registrations.py). The other ``register_meta``/autograd/
# autocast registrations are skipped when the extension is missing, so only
# these two schemas are needed. Schemas are copied from torchvision/csrc/ops.
_MISSING_OP_SCHEMAS: dict[str, str] = {
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}

_MISSING_OP_ERROR = re.compile(r"^operator torchvision::(\w+) does not exist$")

# The torch.library.Library objects that own the schema definitions. They must
# stay referenced: their definitions are removed when they are garbage-collected.
_LIBRARIES: list[object] = []
_READY = False


def _is_missing_op_error(exc: BaseException) -> bool:
    match = _MISSING_OP_ERROR.match(str(exc))
    return match is not None and match.group(1) in _MISSING_OP_SCHEMAS


def _op_exists(torch, name: str) -> bool:
    try:
        torch._C._dispatch_find_schema_or_throw(f"torchvision::{name}", "")
    except RuntimeError:
        return False
    return True


def _define_missing_schemas() -> None:
    import torch

    missing = [name for name in _MISSING_OP_SCHEMAS if not _op_exists(torch, name)]
    if not missing:
        return
    # "FRAGMENT" lets this coexist with any other definitions in the namespace.
    lib = torch.library.Library("torchvision", "FRAGMENT")
    for name in missing:
        lib.define(_MISSING_OP_SCHEMAS[name])
    _LIBRARIES.append(lib)


def _forget_torchvision_modules() -> None:
    for name in list(sys.modules):
        if name == "torchvision" or name.startswith("torchvision."):
            del sys.modules[name]


def ensure_torchvision() -> None:
    """Make ``import torchvision`` work on a CPU-only torch; idempotent.

    Tries ``import torchvision``. Only if that fails with
    ``RuntimeError: operator torchvision::nms does not exist`` (or the same for
    ``qnms``), the missing operator schemas are defined, the half-imported
    ``torchvision*`` modules are removed from :data:`sys.modules`, and the
    import is retried. Any other error propagates unchanged. Repeat calls after
    a successful one return immediately.

    After the workaround, torchvision's compiled operators (``nms``,
    ``roi_align``, ...) are still unavailable and raise ``RuntimeError`` or
    ``NotImplementedError`` when called; see the module docstring.
    """
    global _READY
    if _READY:
        return
    try:
        import torchvision
    except RuntimeError as exc:
        if not _is_missing_op_error(exc):
            raise
        _forget_torchvision_modules()
        _define_missing_schemas()
        import torchvision  # noqa: F401
    _READY = True
