"""Small Manim helpers the template writes into a scene file (only the ones it uses).

They run inside the sandbox with the scene, so they measure real sizes: the
template decides *where* things go relative to each other; these make the
result fit the frame without covering what is already there.
"""

from __future__ import annotations

__all__ = ["HELPERS", "helper_source"]

KEEP_IN_FRAME = '''
def keep_in_frame(m, pad=0.15):
    """Shrink m if it is larger than the frame, then shift it inside."""
    fx, fy = config.frame_x_radius - pad, config.frame_y_radius - pad
    m.scale(min(1, 2 * fx / max(m.width, 1e-6), 2 * fy / max(m.height, 1e-6)))
    dx = max(0, -fx - m.get_left()[0]) - max(0, m.get_right()[0] - fx)
    dy = max(0, -fy - m.get_bottom()[1]) - max(0, m.get_top()[1] - fy)
    m.shift(dx * RIGHT + dy * UP)
'''

CLEAR_SPOT = '''
def clear_spot(m, obstacles, toward=ORIGIN, pad=0.3, edge=0.5):
    """Move m (shrunk if needed) into the roomiest part of the frame clear of obstacles."""
    fx, fy = config.frame_x_radius - edge, config.frame_y_radius - edge
    boxes = [(o.get_left()[0] - pad, o.get_bottom()[1] - pad,
              o.get_right()[0] + pad, o.get_top()[1] + pad) for o in obstacles]
    xs = sorted({-fx, fx, *(min(max(v, -fx), fx) for b in boxes for v in (b[0], b[2]))})
    ys = sorted({-fy, fy, *(min(max(v, -fy), fy) for b in boxes for v in (b[1], b[3]))})
    w, h = max(m.width, 1e-6), max(m.height, 1e-6)
    best = None
    for i, x0 in enumerate(xs):
        for x1 in xs[i + 1:]:
            for j, y0 in enumerate(ys):
                for y1 in ys[j + 1:]:
                    if any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in boxes):
                        continue
                    s = min(1, (x1 - x0) / w, (y1 - y0) / h)
                    cx = min(max(toward[0], x0 + s * w / 2), x1 - s * w / 2)
                    cy = min(max(toward[1], y0 + s * h / 2), y1 - s * h / 2)
                    key = (round(s, 2), -np.hypot(cx - toward[0], cy - toward[1]))
                    if best is None or key > best[0]:
                        best = (key, s, cx, cy)
    if best is None or best[1] < 0.3:
        keep_in_frame(m.move_to(toward))
        return
    m.scale(best[1]).move_to([best[2], best[3], 0])
'''

BESIDE = '''
def parts(m):
    """The objects in m: plain VGroups are opened, everything else is one piece."""
    return [p for s in m.submobjects for p in parts(s)] if type(m) is VGroup else [m]


def beside(m, target, direction, placed=(), buff=0.25, align=None, aligned_edge=ORIGIN):
    """Put m next to target (lining up its part align with it, if given), pushed further
    that way past anything already placed there."""
    m.next_to(target, direction, buff=buff, aligned_edge=aligned_edge)
    if align is not None:
        across = np.array([direction[1] != 0, direction[0] != 0, 0], dtype=float)
        offset = target.get_critical_point(aligned_edge) - align.get_critical_point(aligned_edge)
        m.shift(across * offset)
    others = [o for p in placed for o in parts(p)]

    def hit(a, b):
        return (a.get_left()[0] < b.get_right()[0] - 1e-3
                and b.get_left()[0] < a.get_right()[0] - 1e-3
                and a.get_bottom()[1] < b.get_top()[1] - 1e-3
                and b.get_bottom()[1] < a.get_top()[1] - 1e-3)

    for _ in range(len(others)):
        pairs = [(a, b) for a in parts(m) for b in others if hit(a, b)]
        if not pairs:
            break
        m.shift(max(np.dot(b.get_edge_center(direction) - a.get_edge_center(-direction),
                           direction) + max(buff, 0.05) for a, b in pairs) * direction)
'''

FIT_INSIDE = '''
def fit_inside(m, container, fill=0.9):
    """Centre m on container, shrunk to fill at most that share of it."""
    s = min(1, fill * container.width / max(m.width, 1e-6),
            fill * container.height / max(m.height, 1e-6))
    m.scale(max(s, 0.25)).move_to(container)
'''

ARROW_BETWEEN = '''
def arrow_between(a, b, **kwargs):
    """An arrow joining the facing sides of a and b: horizontal unless mostly vertical."""
    dx, dy = (b.get_center() - a.get_center())[:2]
    side = (RIGHT if dx >= 0 else LEFT) if abs(dx) >= abs(dy) else (UP if dy >= 0 else DOWN)
    start, end = a.get_edge_center(side), b.get_edge_center(-side)
    if np.linalg.norm(end - start) < 1e-3:
        end = start + 0.5 * side
    return Arrow(start, end, **kwargs)
'''

HELPERS = {"keep_in_frame": KEEP_IN_FRAME, "clear_spot": CLEAR_SPOT, "beside": BESIDE,
           "fit_inside": FIT_INSIDE, "arrow_between": ARROW_BETWEEN}
_NEEDS = {"clear_spot": ("keep_in_frame",)}


def helper_source(used: set[str]) -> str:
    """The source of the used helpers (and what they call), in a fixed order."""
    need = set(used)
    for name in used:
        need.update(_NEEDS.get(name, ()))
    return "".join(HELPERS[n].strip("\n") + "\n\n\n" for n in HELPERS if n in need)
