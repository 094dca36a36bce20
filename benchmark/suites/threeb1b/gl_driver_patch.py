"""The ManimGL driver's patches: a headless context and the keyword arguments the
3b1b code passes that the installed ManimGL does not take.

Part of the ManimGL driver (:mod:`gl_driver`): imports only the standard library
(and ManimGL's own modules, lazily).
"""

from __future__ import annotations

from typing import Any


def patch(manimlib: Any) -> None:
    """Headless context, and the fixes the 3b1b code needs on a current ManimGL."""
    try:  # ManimGL ≤ 1.7 draws with moderngl: ask it for a headless EGL context
        import moderngl
    except ImportError:  # a newer ManimGL (wgpu) finds its own adapter
        moderngl = None
    if moderngl is not None:
        original = moderngl.create_standalone_context

        def standalone(*args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("backend", "egl")
            return original(*args, **kwargs)

        moderngl.create_standalone_context = standalone

    _compat(manimlib)

    # The old SingleStringTex never hands its SVG to SVGMobject (``Must specify
    # either a file_name or svg_string``): compile it first and pass it along.
    try:
        from manimlib.mobject.svg import old_tex_mobject
        from manimlib.utils.tex_file_writing import latex_to_svg
    except ImportError:
        return
    sst = old_tex_mobject.SingleStringTex
    init = sst.__init__

    def sst_init(self: Any, tex_string: str, *args: Any, **kwargs: Any) -> None:
        if "svg_string" not in kwargs:
            self.math_mode = kwargs.get("math_mode", True)
            self.alignment = kwargs.get("alignment", R"\centering")
            body = self.get_tex_file_body(tex_string)
            kwargs["svg_string"] = latex_to_svg(body, kwargs.get("template", ""),
                                                kwargs.get("additional_preamble", ""))
        init(self, tex_string, *args, **kwargs)

    sst.__init__ = sst_init


def _compat(manimlib: Any) -> None:
    """Keyword arguments the 3b1b code passes that ManimGL 1.7 does not take yet.

    Only arguments whose effect is cosmetic or can be applied afterwards: a
    background stroke (drawn as a normal stroke), gloss and shadow (shading
    ManimGL 1.7 lacks), and a height or width that reached ``Mobject``
    unconsumed (applied once the mobject exists).
    """
    vm = manimlib.VMobject
    set_stroke, set_style = vm.set_stroke, vm.set_style

    def stroke(self: Any, *args: Any, background: Any = None, **kwargs: Any) -> Any:
        return set_stroke(self, *args, **kwargs)

    def style(self: Any, *args: Any, gloss: Any = None, shadow: Any = None,
              background: Any = None, **kwargs: Any) -> Any:
        return set_style(self, *args, **kwargs)

    vm.set_stroke, vm.set_style = stroke, style
    mob = manimlib.Mobject
    init = mob.__init__

    def mob_init(self: Any, *args: Any, height: Any = None, width: Any = None,
                 gloss: Any = None, shadow: Any = None, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if height is not None and self.has_points():
            self.set_height(height)
        if width is not None and self.has_points():
            self.set_width(width)

    mob.__init__ = mob_init
