"""The Gradio app: components and their wiring only; every action is a session method.

The page: a rater ID (or access code) box, then for each item the task prompt,
the frame (and, as a session setting, the reference frame beside it), the
rubric, buttons 1–5 with keyboard shortcuts 1–5 (S skips, U undoes the last
action), and a progress bar.  Nothing on the page names the submission.

The same actions are named API endpoints (``/start``, ``/rate``, ``/skip``,
``/undo``), each taking the rater ID (or access code) explicitly and
returning ``View.to_json()``, so ``gradio_client`` can drive a session; bad
input comes back as an error with the session's one-line message.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import gradio as gr

from benchmark.store import Artifacts
from human_eval.session import RatingSession, SessionError, View

__all__ = ["CSS", "HEAD", "LABELS", "RUBRIC", "build_app"]

RUBRIC = """\
**Rate the layout of the scene against the prompt** (keys **1**–**5**; **S** skips, **U** undoes):

- **5** Excellent: all readable, no overlaps, nothing cut off, matches the description
- **4** Good: minor blemishes only (spacing, slight misalignment)
- **3** Acceptable: one clear problem (an overlap, a part cut off, one relation wrong)
- **2** Poor: several problems; hard to read or clearly unlike the description
- **1** Unusable: unreadable, objects piled up or missing, or unrelated to the prompt
"""

LABELS = ("unusable", "poor", "acceptable", "good", "excellent")

# Keyboard shortcuts: click the matching visible button unless the rater is typing.  A
# rating key is ignored while the item's frames are still loading: the prompt changes at
# once, the images a moment later, and a quick key would rate a frame not yet seen.
HEAD = """
<script>
document.addEventListener("keydown", (e) => {
  const t = e.target;
  if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
  if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable)) return;
  const ids = {"1": "rate-1", "2": "rate-2", "3": "rate-3", "4": "rate-4", "5": "rate-5",
               "s": "skip", "S": "skip", "u": "undo", "U": "undo"};
  const id = ids[e.key];
  if (!id) return;
  const frames = document.querySelectorAll("#frame img, #reference img");
  if (id.startsWith("rate-") && [...frames].some((i) => !i.complete)) {
    e.preventDefault();
    return;
  }
  const b = document.getElementById(id);
  if (b && b.offsetParent !== null && !b.disabled) { e.preventDefault(); b.click(); }
});
</script>
"""

CSS = """
#he-progress .bar { height: 10px; background: #e5e7eb; border-radius: 5px; overflow: hidden; }
#he-progress .fill { height: 100%; background: #2563eb; }
#he-prompt { font-size: 1.15em; padding: 0.5em 0; }
"""


def _progress_html(view: View | None) -> str:
    if view is None:
        return ""
    p = view.progress
    pct = 100.0 * p.rated / p.total if p.total else 100.0
    skipped = f" · {p.skipped} skipped" if p.skipped else ""
    return (f'<div id="he-progress" data-rated="{p.rated}" data-total="{p.total}">'
            f'<div class="bar"><div class="fill" style="width:{pct:.1f}%"></div></div>'
            f"<div>{p.rated} of {p.total} rated{skipped}</div></div>")


def _prompt_html(view: View | None) -> str:
    if view is None or view.item is None:
        return ""
    return (f'<div id="he-prompt" data-item="{html.escape(view.item.item_id)}">'
            f"{html.escape(view.item.prompt)}</div>")


class _Screens:
    """The UI callbacks: each returns the values of ``_Page.outputs``.  (Gradio names an
    event after its function, so no callback may share a name with an API endpoint.)"""

    def __init__(self, session: RatingSession, artifacts: Artifacts) -> None:
        self.session = session
        self.artifacts = artifacts
        self.show_ref = session.config.show_reference

    def image(self, rel: str | None) -> Any:
        from PIL import Image

        if not rel:
            return None
        with Image.open(self.artifacts.path(rel)) as im:
            return im.convert("RGB")

    def screen(self, cred: str, view: View) -> tuple[Any, ...]:
        item = view.item
        return ({"cred": cred, "item": item.item_id if item else None},
                gr.Column(visible=False), gr.Column(visible=True), "",
                _progress_html(view), _prompt_html(view),
                self.image(item.frame if item else None),
                self.image(item.reference_frame if item and self.show_ref else None),
                view.message)

    @staticmethod
    def failed(state: dict | None, message: str) -> tuple[Any, ...]:
        if not state:  # still at the login box
            return (None, gr.Column(visible=True), gr.Column(visible=False),
                    f"⚠ {message}", gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip())
        return (state, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(),
                gr.skip(), f"⚠ {message}")

    def ui_start(self, cred: str) -> tuple[Any, ...]:
        try:
            return self.screen(cred.strip(), self.session.view(cred))
        except SessionError as exc:
            return self.failed(None, str(exc))

    def ui_action(self, state: dict | None, action: str, value: int = 0) -> tuple[Any, ...]:
        if not state:
            return self.failed(None, "log in first")
        cred, item = state["cred"], state["item"]
        try:
            if action == "rate":
                if item is None:
                    return self.failed(state, "nothing to rate")
                return self.screen(cred, self.session.rate(cred, item, value))
            if action == "skip":
                if item is None:
                    return self.failed(state, "nothing to skip")
                return self.screen(cred, self.session.skip(cred, item))
            return self.screen(cred, self.session.undo(cred))
        except SessionError as exc:
            return self.failed(state, str(exc))


@dataclass
class _Page:
    """The components that the callbacks read and write."""

    state: Any
    cred_box: Any
    start: Any
    buttons: list[Any]
    skip: Any
    undo: Any
    outputs: list[Any]


def _layout(session: RatingSession, title: str) -> _Page:
    """The login box and the rating screen (inside an open ``gr.Blocks``)."""
    show_ref = session.config.show_reference
    who = "Access code" if session.access is not None else "Rater ID"
    state = gr.State(None)
    gr.Markdown(f"## {title}")
    with gr.Column(visible=True) as login:
        gr.Markdown("Each item shows a task prompt and the scene a system drew for it. "
                    "Rate how well the scene is laid out. Your ratings are saved as you "
                    "go; you can stop and come back with the same ID at any time.")
        cred_box = gr.Textbox(label=who, elem_id="rater-id", max_length=200,
                              type="password" if session.access is not None else "text")
        start = gr.Button("Start", variant="primary", elem_id="start")
        login_msg = gr.Markdown(elem_id="login-msg")
    with gr.Column(visible=False) as rating:
        progress = gr.HTML(elem_id="progress-box")
        prompt = gr.HTML(elem_id="prompt-box")
        with gr.Row():
            frame = gr.Image(label="Scene", type="pil", format="png", interactive=False,
                             elem_id="frame", buttons=["fullscreen"])
            ref = gr.Image(label="Reference", type="pil", format="png", interactive=False,
                           elem_id="reference", visible=show_ref, buttons=["fullscreen"])
        gr.Markdown(RUBRIC)
        with gr.Row():
            buttons = [gr.Button(f"{v} · {word}", elem_id=f"rate-{v}", variant="primary")
                       for v, word in enumerate(LABELS, 1)]
        with gr.Row():
            skip = gr.Button("Skip (S)", elem_id="skip", size="sm")
            undo = gr.Button("Undo last (U)", elem_id="undo", size="sm")
        status = gr.Markdown(elem_id="status")
    outputs = [state, login, rating, login_msg, progress, prompt, frame, ref, status]
    return _Page(state, cred_box, start, buttons, skip, undo, outputs)


def _wire(page: _Page, screens: _Screens) -> None:
    ui = {"outputs": page.outputs, "api_visibility": "private", "trigger_mode": "once",
          "show_progress": "hidden"}
    page.start.click(screens.ui_start, [page.cred_box], **ui)
    page.cred_box.submit(screens.ui_start, [page.cred_box], **ui)
    for v, b in enumerate(page.buttons, 1):
        b.click(lambda s, v=v: screens.ui_action(s, "rate", v), [page.state], **ui)
    page.skip.click(lambda s: screens.ui_action(s, "skip"), [page.state], **ui)
    page.undo.click(lambda s: screens.ui_action(s, "undo"), [page.state], **ui)


def _add_api(session: RatingSession) -> None:
    """The named endpoints ``/start``, ``/rate``, ``/skip``, ``/undo`` (for gradio_client)."""

    def api(fn: Any) -> Any:
        try:
            return fn().to_json()
        except SessionError as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    def start_api(rater: str) -> dict:
        """Log in (rater ID, or access code): the rater's current item and progress."""
        return api(lambda: session.view(rater))

    def rate_api(rater: str, item_id: str, value: int) -> dict:
        """Rate an item 1–5 (replacing an earlier rating of it); the next item."""
        return api(lambda: session.rate(rater, item_id, value))

    def skip_api(rater: str, item_id: str) -> dict:
        """Move an item to the end of the rater's queue; the next item."""
        return api(lambda: session.skip(rater, item_id))

    def undo_api(rater: str) -> dict:
        """Take back the rater's last rating or skip; that item again."""
        return api(lambda: session.undo(rater))

    gr.api(start_api, api_name="start", queue=False)
    gr.api(rate_api, api_name="rate", queue=False)
    gr.api(skip_api, api_name="skip", queue=False)
    gr.api(undo_api, api_name="undo", queue=False)


def build_app(session: RatingSession, artifacts: Artifacts,
              title: str = "jepa-manim · layout ratings") -> gr.Blocks:
    """The Blocks app over ``session``; frames are read from ``artifacts``."""
    with gr.Blocks(title=title) as app:
        _wire(_layout(session, title), _Screens(session, artifacts))
        _add_api(session)
    return app
