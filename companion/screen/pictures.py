"""Drawings of the nine exercises (start and end position, SVG), and the faces of the 0-10 scale.

Each exercise is drawn for a left affected hand; a right hand gets the mirror image. The
drawings are simple shapes (capsules for fingers and forearm) so they stay clear when small.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from companion import library

SKIN, LINE, HELPER = "#f2c9a0", "#222", "#b8b8b8"
BOTTLE, PEN, COIN, TABLE = "#5b9bd5", "#e0a800", "#c8961e", "#e8dcc8"
W, H = 240, 190
"""One panel (start or end)."""

Shapes = list[str]
ARROW_HEAD = "url(#arrow-head)"
"""What an arrow's end points to; ``svg`` gives each picture its own marker id, so a page
showing several pictures has no repeated id."""


def seg(x1: float, y1: float, x2: float, y2: float, w: float, fill: str = SKIN) -> str:
    """A capsule from one point to another (a finger, a palm, a forearm), outlined."""
    line = f'x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke-linecap="round"'
    return (
        f'<line {line} stroke="{LINE}" stroke-width="{w + 4:.0f}"/>'
        f'<line {line} stroke="{fill}" stroke-width="{w:.0f}"/>'
    )


def rot(x: float, y: float, deg: float, ox: float, oy: float) -> tuple[float, float]:
    """(x, y), relative to (ox, oy), turned by ``deg`` degrees clockwise."""
    a = math.radians(deg)
    return ox + x * math.cos(a) - y * math.sin(a), oy + x * math.sin(a) + y * math.cos(a)


def hand_top(
    ox: float, oy: float, deg: float = 0, palm_up: bool = False, fill: str = SKIN
) -> Shapes:
    """A left hand seen from above, fingers away from the viewer, wrist at (ox, oy)."""
    side = -1 if palm_up else 1  # a left hand, palm down: the thumb is on the right

    def s(x1: float, y1: float, x2: float, y2: float, w: float) -> str:
        a, b = rot(x1, y1, deg, ox, oy)
        c, d = rot(x2, y2, deg, ox, oy)
        return seg(a, b, c, d, w, fill)

    out = [s(side * 20, -10, side * 38, -40, 11)]
    out += [
        s(x, -45, x, -45 - length, 10)
        for x, length in ((-15 * side, 28), (-5 * side, 36), (5 * side, 38), (15 * side, 32))
    ][::side]
    out.append(s(0, -8, 0, -38, 44))
    if palm_up:
        a, b = rot(-12, -30, deg, ox, oy)
        c, d = rot(12, -22, deg, ox, oy)
        out.append(f'<line x1="{a:.1f}" y1="{b:.1f}" x2="{c:.1f}" y2="{d:.1f}" stroke="{LINE}"/>')
    else:
        for x in (-15, -5, 5, 15):
            a, b = rot(x, -72 + abs(x) / 3, deg, ox, oy)
            out.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="#fff" stroke="{LINE}"/>')
    return out


def hand_side(
    ox: float, oy: float, deg: float, curl: float = 0, fill: str = SKIN, length: float = 46
) -> Shapes:
    """A hand seen from the thumb side: palm from the wrist at angle ``deg`` (0 = pointing
    right, positive = down), fingers bent by ``curl`` degrees toward the palm."""
    px, py = rot(length, 0, deg, ox, oy)
    mx, my = rot(22, 0, deg + curl, px, py)
    tx, ty = rot(18, 0, deg + 2 * curl, mx, my)
    return [
        seg(ox, oy, px, py, 24, fill),
        seg(px, py, mx, my, 13, fill),
        seg(mx, my, tx, ty, 12, fill),
        seg(*rot(10, -10, deg, ox, oy), *rot(34, -16, deg - 20, ox, oy), 10, fill),
    ]


def table(y: float = 160) -> str:
    return f'<rect x="0" y="{y}" width="{W}" height="{H - y}" fill="{TABLE}" stroke="{LINE}"/>'


def arrow(x1: float, y1: float, x2: float, y2: float, bend: float = 0) -> str:
    """A curved arrow showing the movement."""
    cx, cy = (x1 + x2) / 2 - bend * (y2 - y1) / 60, (y1 + y2) / 2 + bend * (x2 - x1) / 60
    return (
        f'<path d="M{x1},{y1} Q{cx:.0f},{cy:.0f} {x2},{y2}" fill="none" stroke="#1a4fa0" '
        f'stroke-width="4" marker-end="{ARROW_HEAD}"/>'
    )


def _palm_turn(end: bool) -> Shapes:
    return [
        table(120),
        seg(120, 200, 120, 150, 34),
        *hand_top(120, 150, 0, palm_up=end),
        arrow(60, 100, 180, 100, -40 if end else 40),
    ]


def _wrist_bend(end: bool) -> Shapes:
    """Elbow on the table, forearm up; the other hand (grey) presses the palm: the wrist bends
    forward at the start, back at the end."""
    wx, wy = 118.0, 96.0
    deg = -91 if end else -11
    side = 1 if end else -1  # the helper pushes from the side the hand moves away from
    mx, my = rot(30, 0, deg, wx, wy)
    hx1, hy1 = rot(0, side * 20, deg, mx, my)
    hx2, hy2 = rot(0, side * 52, deg, mx, my)
    return [table(), seg(50, 160, wx, wy, 30), *hand_side(wx, wy, deg),
            seg(hx1, hy1, hx2, hy2, 20, HELPER)]  # fmt: skip


def _wrist_slide(end: bool) -> Shapes:
    deg = 22 if end else -22
    return [
        table(20),
        seg(120, 200, 120, 150, 34),
        *hand_top(120, 150, deg),
        f'<ellipse cx="{120 + deg * 1.1:.0f}" cy="120" rx="30" ry="22" fill="{HELPER}" '
        f'fill-opacity="0.8" stroke="{LINE}"/>',
        arrow(90 - deg, 30, 150 - deg, 30, 10),
    ]


def _bottle_grasp(end: bool) -> Shapes:
    return [
        table(),
        seg(10, 140, 100, 140, 30),
        f'<circle cx="150" cy="118" r="18" fill="{BOTTLE}" stroke="{LINE}" stroke-width="2"/>',
        *hand_side(100, 140, 0, curl=-75 if end else 0),
    ]


def _wrist_curl(end: bool) -> Shapes:
    deg = -35 if end else 40
    px, py = rot(58, 0, deg, 130, 130)
    return [
        table(),
        seg(10, 130, 130, 130, 30),
        *hand_side(130, 130, deg, curl=-80),
        f'<circle cx="{px:.0f}" cy="{py - 6:.0f}" r="14" fill="{BOTTLE}" stroke="{LINE}"/>',
        seg(40, 106, 95, 106, 16, HELPER),
    ]


def _grip_release(end: bool) -> Shapes:
    x = 175 if end else 65
    return [
        table(20),
        seg(x, 60, x, 150, 7, PEN),
        seg(120, 200, 120, 150, 34),
        *hand_top(120, 150, 30 if end else -30),
        arrow(70, 40, 170, 40, 5),
    ]


def _pen_spin(end: bool) -> Shapes:
    a = 90 if end else 0
    x1, y1 = rot(0, -45, a, 120, 80)
    x2, y2 = rot(0, 45, a, 120, 80)
    return [
        table(20),
        seg(x1, y1, x2, y2, 7, PEN),
        seg(120, 200, 120, 175, 34),
        *hand_top(120, 175, 0),
        arrow(60, 60, 180, 60, 40),
    ]


def _coin_drop(end: bool) -> Shapes:
    coins = 7 if end else 8
    out = [table(20), seg(120, 200, 120, 150, 34), *hand_top(120, 150, 0, palm_up=True)]
    out += [
        f'<circle cx="{106 + (i % 2) * 16}" cy="{146 - (i // 2) * 9}" r="6" fill="{COIN}" '
        f'stroke="{LINE}"/>'
        for i in range(coins)
    ]
    if end:
        out.append(f'<circle cx="60" cy="110" r="8" fill="{COIN}" stroke="{LINE}"/>')
        out.append(arrow(95, 105, 70, 110, 10))
    return out


def _finger_thumb(end: bool) -> Shapes:
    """Palm toward the viewer (a left hand: thumb on the right); the finger that meets the thumb
    bends to it: the index finger first, the little finger last."""
    fingers = {104: 62, 116: 46, 128: 42, 140: 52}  # little, ring, middle, index: x -> tip y
    bent = 104 if end else 140
    meet = (112, 84) if end else (156, 78)
    out = [seg(122, 200, 122, 160, 34), seg(122, 112, 122, 142, 44)]
    out += [seg(x, 100, x, top, 10) for x, top in fingers.items() if x != bent]
    out += [seg(bent, 100, *meet, 10), seg(150, 142, *meet, 11)]
    return out


DRAW: dict[str, Callable[[bool], Shapes]] = {
    "palm_turn": _palm_turn,
    "wrist_bend": _wrist_bend,
    "wrist_slide": _wrist_slide,
    "bottle_grasp": _bottle_grasp,
    "wrist_curl": _wrist_curl,
    "grip_release": _grip_release,
    "pen_spin": _pen_spin,
    "coin_drop": _coin_drop,
    "finger_thumb": _finger_thumb,
}


def svg(exercise_id: str, side: str = "left", title: str = "") -> str:
    """Start and end position of one exercise, side by side (KeyError: no such exercise)."""
    library.get(exercise_id)
    draw = DRAW[exercise_id]
    flip = f' transform="translate({W},0) scale(-1,1)"' if side == "right" else ""
    marker = f"{exercise_id}-{side}-arrow-head"
    panels = []
    for i, (label, end) in enumerate((("Start", False), ("End", True))):
        body = "".join(draw(end)).replace(ARROW_HEAD, f"url(#{marker})")
        panels.append(
            f'<g transform="translate({i * (W + 20)},0)"><rect width="{W}" height="{H}" '
            f'fill="#fff" stroke="#888"/><g{flip}>{body}</g>'
            f'<text x="8" y="24" font-size="20" font-family="sans-serif" font-weight="bold">'
            f"{label}</text></g>"
        )
    name = title or exercise_id.replace("_", " ")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {2 * W + 20} {H}" '
        f'role="img" aria-label="{name}, {side} hand: start and end position">'
        f"<title>{name}: start and end position ({side} hand)</title>"
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="6" refY="5" markerWidth="5" '
        'markerHeight="5" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1a4fa0"/></marker>'
        f"</defs>{''.join(panels)}</svg>"
    )


def face(value: int) -> str:
    """A small face for a 0-10 rating: a smile at 0, flat at 5, a frown at 10."""
    curve = 10 - 2 * value  # mouth control point: below the corners smiles, above frowns
    return (
        '<svg viewBox="0 0 48 48" aria-hidden="true" focusable="false">'
        f'<circle cx="24" cy="24" r="21" fill="#fff" stroke="{LINE}" stroke-width="3"/>'
        f'<circle cx="17" cy="19" r="3" fill="{LINE}"/>'
        f'<circle cx="31" cy="19" r="3" fill="{LINE}"/>'
        f'<path d="M14,32 Q24,{32 + curve} 34,32" fill="none" stroke="{LINE}" stroke-width="3"/>'
        "</svg>"
    )
