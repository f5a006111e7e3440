"""The drawing of the exercise pictures, by code, from one pose description each.

A pose places a simple 3-D figure on a floor mat: the pelvis and chest by their roll about the
body's long axis, each leg by its joint angles (hip flexion, abduction, rotation; knee flexion) or,
where a foot or hand must touch something (a foot planted on the floor, an ankle resting on the
other knee, hands around a shin), by where it reaches and which way its knee or elbow points.
Every exercise has two key poses, the start and the held position; the frames of its animation
are interpolated between them (rest, move, hold, move back) and its still is the held pose.

The figure is projected with a fixed camera per exercise and drawn, far parts first, with rounded
strokes on a bare Agg `Figure` (never pyplot, whose global state is not thread-safe). No text is
drawn: the captions carry the words, so one picture serves every language. The left side of a
one-sided exercise is the exact mirror image of its right side (a mirror swaps right and left).
Rendering is deterministic: the same code gives the same bytes, which the README's committed
stills and the tests rely on.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, replace
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from PIL import Image, ImageOps

from sibot.pictures import (
    PICTURE_KINDS,
    PICTURES_FOLDER,
    picture_file_name,
    picture_name,
    picture_sides,
)
from sibot.routine import ROUTINE, Side

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_PX = 600
HEIGHT_PX = 380
DPI = 100
FRAME_MS = 100
# frames of each phase of the loop: rest at the start, move, hold, move back
REST_FRAMES = 5
MOVE_FRAMES = 8
HOLD_FRAMES = 7
PALETTE_COLOURS = 64

BACKGROUND = "#FFFFFF"
MAT = "#E6EDF2"
NEAR_SKIN = "#4C8CBF"  # limbs on the side nearer the camera
FAR_SKIN = "#2B587D"  # limbs on the far side: darker, so crossed legs stay apart
TORSO = "#3C77A6"
OUTLINE = "#16334A"
HEAD = "#F0C39A"
PILLOW = "#F5E6BC"
PILLOW_EDGE = "#B59A5B"
BAND = "#D1495B"
ARROW = "#E35D00"
GLOW = "#FF8C1A"

# Body proportions in metres, after anthropometric tables for an adult of about 1.70 m.
PELVIS_HALF = 0.09
SHOULDER_HALF = 0.17
TRUNK = 0.50
NECK = 0.08
HEAD_RADIUS = 0.11
THIGH = 0.44
SHIN = 0.42
FOOT = 0.16
UPPER_ARM = 0.29
FOREARM = 0.26
LEG_WIDTH = 0.09
FOOT_WIDTH = 0.05
ARM_WIDTH = 0.06
TORSO_WIDTH = 0.22
BACK_HEIGHT = 0.11  # the pelvis and chest above the floor, lying on the back
SIDE_HEIGHT = 0.17  # the pelvis above the floor, lying on a side
# the floor mat, reaching past the frame's edges
MAT_X = (-1.1, 1.25)
MAT_Y = (-0.6, 0.6)
MARGIN = 0.2  # metres between the figure and the frame's edges
# matplotlib paints by layer: the mat and glows (patches) under the figure, then the figure's
# parts and pillows far to near, each on a layer of its own, then the band and the arrows on top
# (an arrow pressing a knee down may lie over the thigh, and must not hide under it)
PATCH_LAYER = 1.0
FIGURE_LAYER = 2.0

Vector = np.ndarray
X = np.array([1.0, 0.0, 0.0])  # along the body, toward the feet
Z = np.array([0.0, 0.0, 1.0])  # up; +y runs across the floor, away from the default camera
Triple = tuple[float, float, float]


def _unit(vector: Vector) -> Vector:
    return vector / np.linalg.norm(vector)


@dataclass(frozen=True)
class Angles:
    """A leg by its joint angles in degrees; abduction moves it away from the midline."""

    flexion: float = 0.0
    abduction: float = 0.0
    rotation: float = 0.0  # external rotation turns the kneecap outward
    knee: float = 0.0


@dataclass(frozen=True)
class Reach:
    """A limb whose end (ankle or hand) is at `target` and whose middle joint bends toward `pole`.

    `target` names a point of the figure ("left_knee", "right_shin" ...) or "floor"; `offset` is
    added to it in metres, so a foot can be planted on a spot of the floor.
    """

    target: str
    offset: Triple = (0.0, 0.0, 0.0)
    pole: Triple = (0.0, 0.0, 1.0)


Limb = Angles | Reach


@dataclass(frozen=True)
class Pose:
    """The whole figure. Roll 0 is lying on the back, -90 lying on the left side."""

    right_leg: Limb
    left_leg: Limb
    right_arm: Reach
    left_arm: Reach
    pelvis_roll: float = 0.0
    chest_roll: float = 0.0
    chest_lift: float = 0.0  # degrees the upper body rises off the floor (a pillow, the elbows)
    effort: float = 0.0  # 0..1: how strongly the working muscles glow


@dataclass(frozen=True)
class Pillow:
    """A pillow by its centre (a point of the figure or "floor", plus an offset) and half sizes.

    A pillow `between` two points fills the gap between them across the body, so it is squeezed
    as they come together.
    """

    anchor: str
    offset: Triple
    size: Triple
    between: tuple[str, str] | None = None


@dataclass(frozen=True)
class Arrow:
    """An arrow beside a point of the figure, showing which way it moves or presses."""

    anchor: str
    direction: Triple
    length: float = 0.2
    gap: float = 0.1  # from the point to the arrow's tail, so it does not hide the limb
    bend: float = 0.0  # curvature, for a movement along an arc


@dataclass(frozen=True)
class Drawing:
    """One exercise as it is drawn: its key poses, props, arrows, glow and camera."""

    start: Pose
    held: Pose
    glow: tuple[str, ...]  # points of the figure the working muscles sit around
    arrows: tuple[Arrow, ...] = ()
    pillows: tuple[Pillow, ...] = ()
    band: bool = False  # a resistance band around both thighs, above the knees
    azimuth: float = 0.0  # degrees the camera turns from the patient's right toward the feet
    elevation: float = 25.0


@dataclass(frozen=True)
class BodyFrame:
    """Unit vectors of a body part: toward the head, toward its right side, out of its front."""

    up: Vector
    right: Vector
    forward: Vector

    @classmethod
    def rolled(cls, roll: float, lift: float = 0.0) -> BodyFrame:
        """Head toward -x, rolled `roll` degrees about the long axis, raised `lift` degrees."""
        turn, rise = math.radians(roll), math.radians(lift)
        right = np.array([0.0, -math.cos(turn), -math.sin(turn)])
        front = np.array([0.0, -math.sin(turn), math.cos(turn)])
        return cls(
            up=-X * math.cos(rise) + front * math.sin(rise),
            right=right,
            forward=front * math.cos(rise) + X * math.sin(rise),
        )


def _leg_from_angles(hip: Vector, frame: BodyFrame, side: float, leg: Angles) -> list[Vector]:
    """Hip, knee, ankle and toe of a leg from its joint angles (forward kinematics)."""
    flex, abduct = math.radians(leg.flexion), math.radians(leg.abduction)
    turn, bend = math.radians(leg.rotation), math.radians(leg.knee)
    outward = frame.right * side
    sagittal = -frame.up * math.cos(flex) + frame.forward * math.sin(flex)
    thigh = sagittal * math.cos(abduct) + outward * math.sin(abduct)
    lateral = outward * math.cos(abduct) - sagittal * math.sin(abduct)
    kneecap = frame.forward * math.cos(flex) + frame.up * math.sin(flex)
    kneecap = kneecap * math.cos(turn) + lateral * math.sin(turn)
    shin = thigh * math.cos(bend) - kneecap * math.sin(bend)
    toe = kneecap * math.cos(bend) + thigh * math.sin(bend)
    knee = hip + thigh * THIGH
    ankle = knee + shin * SHIN
    return [hip, knee, ankle, ankle + toe * FOOT]


def _middle_joint(root: Vector, end: Vector, first: float, second: float, pole: Vector) -> Vector:
    """The knee or elbow of a two-link limb from `root` to `end`, bent toward `pole`."""
    span = end - root
    distance = float(np.clip(np.linalg.norm(span), abs(first - second) + 1e-3, first + second - 1e-3))
    along = _unit(span)
    aside = _unit(pole - along * float(np.dot(pole, along)))
    cos_root = (first**2 + distance**2 - second**2) / (2 * first * distance)
    return root + along * first * cos_root + aside * first * math.sqrt(max(0.0, 1 - cos_root**2))


def _leg_by_reach(hip: Vector, ankle: Vector, pole: Vector) -> list[Vector]:
    knee = _middle_joint(hip, ankle, THIGH, SHIN, pole)
    shin = _unit(ankle - knee)
    # the foot stands at a right angle to the shin, on the kneecap's side: a flexed foot
    toe = _unit(pole - shin * float(np.dot(pole, shin)))
    return [hip, knee, ankle, ankle + toe * FOOT]


def _point(points: dict[str, Vector], name: str, offset: Sequence[float] = (0, 0, 0)) -> Vector:
    base = np.zeros(3) if name == "floor" else points[name]
    return base + np.asarray(offset, dtype=float)


def _reaches_figure(limb: Limb) -> bool:
    return isinstance(limb, Reach) and limb.target != "floor"


def pose_points(pose: Pose) -> dict[str, Vector]:
    """Every joint and landmark of the figure in this pose, by name, in metres."""
    pelvis_frame = BodyFrame.rolled(pose.pelvis_roll)
    chest_frame = BodyFrame.rolled(pose.chest_roll, pose.chest_lift)
    on_side = abs(pose.pelvis_roll) > 45
    pelvis = np.array([0.0, 0.0, SIDE_HEIGHT if on_side else BACK_HEIGHT])
    neck = pelvis + chest_frame.up * TRUNK
    points = {
        "pelvis": pelvis,
        "low_back": pelvis + chest_frame.up * 0.12 - chest_frame.forward * 0.04,
        "neck": neck,
        "head": neck + chest_frame.up * (NECK + HEAD_RADIUS) + chest_frame.forward * 0.02,
    }
    legs = {"right": (1.0, pose.right_leg), "left": (-1.0, pose.left_leg)}
    # a leg that rests on the other one is placed after it
    for name, (side, leg) in sorted(legs.items(), key=lambda item: _reaches_figure(item[1][1])):
        hip = pelvis + pelvis_frame.right * PELVIS_HALF * side
        if isinstance(leg, Angles):
            joints = _leg_from_angles(hip, pelvis_frame, side, leg)
        else:
            ankle = _point(points, leg.target, leg.offset)
            joints = _leg_by_reach(hip, ankle, np.asarray(leg.pole, dtype=float))
        hip, knee, ankle, toe = joints
        points |= {
            f"{name}_hip": hip,
            f"{name}_knee": knee,
            f"{name}_ankle": ankle,
            f"{name}_toe": toe,
            f"{name}_thigh": hip + (knee - hip) * 0.72,
            f"{name}_inner_thigh": hip + (knee - hip) * 0.5 - pelvis_frame.right * side * 0.03,
            f"{name}_shin": knee + (ankle - knee) * 0.25,
            f"{name}_outer_hip": hip + pelvis_frame.right * side * 0.05,
            f"{name}_buttock": hip - pelvis_frame.forward * 0.05 + (knee - hip) * 0.1,
        }
    points["knees"] = (points["right_knee"] + points["left_knee"]) / 2
    for name, side in (("right", 1.0), ("left", -1.0)):
        shoulder = neck + chest_frame.right * SHOULDER_HALF * side - chest_frame.up * 0.05
        arm = pose.right_arm if name == "right" else pose.left_arm
        hand = _point(points, arm.target, arm.offset)
        points[f"{name}_shoulder"] = shoulder
        points[f"{name}_elbow"] = _middle_joint(
            shoulder, hand, UPPER_ARM, FOREARM, np.asarray(arm.pole, dtype=float)
        )
        points[f"{name}_hand"] = hand
    return points


def _blend(start: object, end: object, share: float) -> object:
    """The pose (or limb) `share` of the way from `start` to `end`; names come from `start`."""
    if isinstance(start, float | int):
        return start + (end - start) * share  # type: ignore[operator]
    if isinstance(start, tuple):
        return tuple(_blend(a, b, share) for a, b in zip(start, end, strict=True))  # type: ignore[arg-type]
    if isinstance(start, str):
        return start
    changes = {
        item.name: _blend(getattr(start, item.name), getattr(end, item.name), share)
        for item in fields(start)  # type: ignore[arg-type]
    }
    return replace(start, **changes)  # type: ignore[type-var]


def _ease(share: float) -> float:
    return (1 - math.cos(math.pi * share)) / 2


def loop_shares() -> tuple[float, ...]:
    """How far toward the held pose each frame of the loop is: rest, move, hold, move back."""
    forth = tuple(_ease(step / MOVE_FRAMES) for step in range(1, MOVE_FRAMES))
    return (0.0,) * REST_FRAMES + forth + (1.0,) * HOLD_FRAMES + tuple(reversed(forth))


@dataclass(frozen=True)
class Camera:
    """An orthographic camera: screen right, screen up, and toward the viewer."""

    across: Vector
    upward: Vector
    toward: Vector

    @classmethod
    def looking(cls, azimuth: float, elevation: float) -> Camera:
        turn, tilt = math.radians(azimuth), math.radians(elevation)
        toward = np.array(
            [math.sin(turn) * math.cos(tilt), -math.cos(turn) * math.cos(tilt), math.sin(tilt)]
        )
        across = np.array([math.cos(turn), math.sin(turn), 0.0])
        return cls(across=across, upward=np.cross(toward, across), toward=toward)

    def screen(self, point: Vector) -> tuple[float, float]:
        return float(np.dot(point, self.across)), float(np.dot(point, self.upward))

    def depth(self, point: Vector) -> float:
        return float(np.dot(point, self.toward))


@dataclass(frozen=True)
class _Stroke:
    """One part to paint: a polyline of rounded strokes, a ball, a pillow or the band."""

    depth: float
    points: tuple[Vector, ...]
    width: float
    colour: str
    kind: Literal["limb", "ball", "pillow"] = "limb"
    leg: str = ""  # the side of the leg it belongs to, if it is a leg or foot


def _figure_strokes(points: dict[str, Vector], near: str) -> Iterator[_Stroke]:
    def skin(side: str) -> str:
        return NEAR_SKIN if side == near else FAR_SKIN

    for side in ("right", "left"):
        leg = tuple(points[f"{side}_{joint}"] for joint in ("hip", "knee", "ankle"))
        yield _Stroke(0.0, leg, LEG_WIDTH, skin(side), leg=side)
        foot = (points[f"{side}_ankle"], points[f"{side}_toe"])
        yield _Stroke(0.0, foot, FOOT_WIDTH, skin(side), leg=side)
        arm = tuple(points[f"{side}_{joint}"] for joint in ("shoulder", "elbow", "hand"))
        yield _Stroke(0.0, arm, ARM_WIDTH, skin(side))
    shoulders = (points["right_shoulder"], points["left_shoulder"])
    yield _Stroke(0.0, shoulders, ARM_WIDTH * 1.4, TORSO)
    hips = (points["right_hip"], points["left_hip"])
    yield _Stroke(0.0, hips, LEG_WIDTH * 1.2, TORSO)
    yield _Stroke(0.0, (points["pelvis"], points["neck"]), TORSO_WIDTH, TORSO)
    yield _Stroke(0.0, (points["head"],), HEAD_RADIUS * 2, HEAD, "ball")


def _pillow_corners(pillow: Pillow, points: dict[str, Vector]) -> tuple[Vector, ...]:
    centre = _point(points, pillow.anchor, pillow.offset)
    half = np.asarray(pillow.size, dtype=float)
    if pillow.between:
        first, second = (points[name] for name in pillow.between)
        centre = (first + second) / 2 + np.asarray(pillow.offset, dtype=float)
        half[1] = max(0.02, abs(first[1] - second[1]) / 2 - LEG_WIDTH / 2)
    return tuple(
        centre + half * np.array([sx, sy, sz])
        for sx in (-1, 1)
        for sy in (-1, 1)
        for sz in (-1, 1)
    )


def _pillow_depth(pillow: Pillow, corners: Sequence[Vector], camera: Camera) -> float:
    """A pillow on the floor lies under the body, so it is painted first; one held between two
    limbs is sorted by its far side, so it covers the body behind it but not the limbs."""
    if pillow.anchor == "floor":
        return -math.inf
    return min(camera.depth(corner) for corner in corners)


def _hull(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The convex hull of 2-D points, counter-clockwise (Andrew's monotone chain)."""
    ordered = sorted(set(points))

    def half(sequence: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
        chain: list[tuple[float, float]] = []
        for point in sequence:
            while len(chain) >= 2:
                (ax, ay), (bx, by) = chain[-2], chain[-1]
                if (bx - ax) * (point[1] - ay) - (by - ay) * (point[0] - ax) > 0:
                    break
                chain.pop()
            chain.append(point)
        return chain

    lower, upper = half(ordered), half(ordered[::-1])
    return lower[:-1] + upper[:-1]


class _Canvas:
    """A frame of a picture: the Agg figure, its axes and the metres-to-points scale."""

    def __init__(self, camera: Camera, bounds: tuple[float, float, float, float]) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.camera = camera
        self.figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
        self.figure.patch.set_facecolor(BACKGROUND)
        FigureCanvasAgg(self.figure)
        self.axes: Axes = self.figure.add_axes((0, 0, 1, 1))
        self.axes.set_axis_off()
        left, right, bottom, top = bounds
        span = max((right - left) / WIDTH_PX, (top - bottom) / HEIGHT_PX)
        middle = ((left + right) / 2, (bottom + top) / 2)
        self.axes.set_xlim(middle[0] - span * WIDTH_PX / 2, middle[0] + span * WIDTH_PX / 2)
        self.axes.set_ylim(middle[1] - span * HEIGHT_PX / 2, middle[1] + span * HEIGHT_PX / 2)
        self.points_per_metre = 72 / DPI / span

    def width(self, metres: float) -> float:
        return metres * self.points_per_metre

    def polygon(
        self,
        corners: Sequence[Vector],
        colour: str,
        edge: str,
        edge_width: float,
        layer: float = PATCH_LAYER,
    ) -> None:
        from matplotlib.patches import Polygon

        outline = _hull([self.camera.screen(corner) for corner in corners])
        self.axes.add_patch(
            Polygon(
                outline,
                closed=True,
                facecolor=colour,
                edgecolor=edge,
                linewidth=edge_width,
                joinstyle="round",
                zorder=layer,
            )
        )

    def stroke(self, stroke: _Stroke, layer: float) -> None:
        xs, ys = zip(*(self.camera.screen(point) for point in stroke.points), strict=True)
        width = self.width(stroke.width)
        for colour, extra in ((OUTLINE, 2.5), (stroke.colour, 0.0)):
            self.axes.plot(
                xs,
                ys,
                color=colour,
                linewidth=width + extra,
                solid_capstyle="round",
                solid_joinstyle="round",
                marker="o" if stroke.kind == "ball" else None,
                markersize=width + extra,
                markerfacecolor=colour,
                markeredgewidth=0,
                zorder=layer,
            )

    def glow(self, centre: Vector, radius: float, strength: float) -> None:
        from matplotlib.patches import Circle

        x, y = self.camera.screen(centre)
        for ring in range(6, 0, -1):
            self.axes.add_patch(
                Circle(
                    (x, y),
                    radius * ring / 6,
                    facecolor=GLOW,
                    edgecolor="none",
                    alpha=strength * 0.2,
                )
            )

    def arrow(self, tail: Vector, head: Vector, bend: float, layer: float) -> None:
        from matplotlib.patches import FancyArrowPatch

        self.axes.add_patch(
            FancyArrowPatch(
                self.camera.screen(tail),
                self.camera.screen(head),
                arrowstyle="simple,head_length=1.6,head_width=1.6,tail_width=0.55",
                connectionstyle=f"arc3,rad={bend}",
                mutation_scale=self.width(0.07),
                facecolor=ARROW,
                edgecolor=OUTLINE,
                linewidth=1.0,
                joinstyle="round",
                zorder=layer,
            )
        )

    def pixels(self) -> Image.Image:
        self.figure.canvas.draw()
        rgba = np.asarray(self.figure.canvas.buffer_rgba())
        return Image.fromarray(rgba[:, :, :3].copy(), "RGB")


def _camera(drawing: Drawing) -> Camera:
    return Camera.looking(drawing.azimuth, drawing.elevation)


def _poses(drawing: Drawing) -> list[Pose]:
    """The pose of every frame of the loop."""
    return [_blend(drawing.start, drawing.held, share) for share in loop_shares()]  # type: ignore[misc]


def _arrow_ends(arrow: Arrow, points: dict[str, Vector]) -> tuple[Vector, Vector]:
    """The tail and head of an arrow beside its point of the figure."""
    direction = _unit(np.asarray(arrow.direction, dtype=float))
    tail = points[arrow.anchor] + direction * arrow.gap
    return tail, tail + direction * arrow.length


def frame_bounds(drawing: Drawing) -> tuple[float, float, float, float]:
    """Left, right, bottom and top of the frame, in metres: the figure and its arrows in every
    pose, with room."""
    camera = _camera(drawing)
    spots = []
    for pose in (drawing.start, drawing.held):
        points = pose_points(pose)
        arrow_ends = [end for arrow in drawing.arrows for end in _arrow_ends(arrow, points)]
        spots += [camera.screen(point) for point in [*points.values(), *arrow_ends]]
    xs, ys = zip(*spots, strict=True)
    return (min(xs) - MARGIN, max(xs) + MARGIN, min(ys) - MARGIN, max(ys) + MARGIN)


def _over_the_other_leg(pose: Pose, parts: list[_Stroke]) -> list[_Stroke]:
    """The parts with a leg that rests on the other one (an ankle on a knee) painted over it
    from every camera: sorted by their middles alone, the crossing could hide under the knee."""
    for side, other, leg in (("right", "left", pose.right_leg), ("left", "right", pose.left_leg)):
        if isinstance(leg, Reach) and leg.target.startswith(f"{other}_"):
            above = max(part.depth for part in parts if part.leg == other) + 1e-3
            parts = [
                replace(part, depth=max(part.depth, above)) if part.leg == side else part
                for part in parts
            ]
    return parts


def draw_frame(drawing: Drawing, pose: Pose) -> Image.Image:
    """One frame of an exercise in this pose, as an RGB image."""
    camera = _camera(drawing)
    canvas = _Canvas(camera, frame_bounds(drawing))
    points = pose_points(pose)
    mat = [np.array([x, y, 0.0]) for x in MAT_X for y in MAT_Y]
    canvas.polygon(mat, MAT, MAT, 0.0)
    near = max(("right", "left"), key=lambda side: camera.depth(points[f"{side}_hip"]))
    parts = _over_the_other_leg(pose, [
        replace(stroke, depth=sum(camera.depth(p) for p in stroke.points) / len(stroke.points))
        for stroke in _figure_strokes(points, near)
    ])
    for pillow in drawing.pillows:
        corners = _pillow_corners(pillow, points)
        parts.append(_Stroke(_pillow_depth(pillow, corners, camera), corners, 0.0, PILLOW, "pillow"))
    for order, part in enumerate(sorted(parts, key=lambda part: part.depth)):
        layer = FIGURE_LAYER + order
        if part.kind == "pillow":
            canvas.polygon(part.points, PILLOW, PILLOW_EDGE, canvas.width(0.03), layer)
        else:
            canvas.stroke(part, layer)
    if drawing.band:
        lift = Z * LEG_WIDTH * 0.45
        band = (points["right_thigh"] + lift, points["left_thigh"] + lift)
        canvas.stroke(_Stroke(0.0, band, 0.03, BAND), FIGURE_LAYER + len(parts))
    for anchor in drawing.glow:
        canvas.glow(points[anchor], 0.15, 0.45 + 0.55 * pose.effort)
    for arrow in drawing.arrows:
        canvas.arrow(*_arrow_ends(arrow, points), arrow.bend, FIGURE_LAYER + len(parts) + 1)
    return canvas.pixels()


# ---- the six exercises -------------------------------------------------------------------------

_HANDS_BY_HIPS = (
    Reach("floor", (0.06, -0.25, 0.035), (0.0, -1.0, 0.3)),
    Reach("floor", (0.06, 0.25, 0.035), (0.0, 1.0, 0.3)),
)


def _feet_planted(spread: float, knees_out: float) -> tuple[Reach, Reach]:
    """Both knees bent and both feet flat on the floor, `spread` apart; knees lean out so far."""
    return (
        Reach("floor", (0.44, -spread / 2, 0.06), (0.0, -knees_out, 1.0)),
        Reach("floor", (0.44, spread / 2, 0.06), (0.0, knees_out, 1.0)),
    )


def _crook_lying(spread: float, knees_out: float, effort: float) -> Pose:
    right_leg, left_leg = _feet_planted(spread, knees_out)
    return Pose(right_leg, left_leg, *_HANDS_BY_HIPS, effort=effort)


_PILLOWS_UNDER_CALVES = (
    Pillow("floor", (0.64, 0.0, 0.06), (0.24, 0.3, 0.06)),
    Pillow("floor", (0.64, 0.0, 0.175), (0.22, 0.28, 0.055)),
)
_PILLOW_UNDER_HEAD = Pillow("floor", (-0.74, 0.0, 0.04), (0.13, 0.25, 0.04))

def _on_the_left_side(knee_down: float, effort: float) -> Pose:
    """Lying on the left side, head resting on the left arm stretched out along the floor, right
    hand on the right hip, chest rolled back toward the ceiling, the top (right) knee bent in
    front and lowered `knee_down` degrees toward the floor. Seen from above the front, the head
    on the outstretched arm, the stacked hips and the knee on the floor in front of the long
    bottom leg are what make it read as side-lying."""
    return Pose(
        Angles(flexion=80, abduction=-knee_down, knee=95),
        Angles(flexion=10, knee=15),
        Reach("right_outer_hip", (0.0, 0.0, 0.05), (0.0, -1.0, 0.5)),
        Reach("floor", (-0.97, 0.06, 0.03), (0.0, 0.3, 1.0)),
        pelvis_roll=-90,
        chest_roll=-55,
        effort=effort,
    )


def _figure_four(left_foot: Triple, effort: float) -> Pose:
    """On the back, the right ankle resting on the left thigh just short of the knee (so the knee
    shows past it), foot flexed, the right knee fallen out and down toward the floor; both hands
    behind the left thigh, the left foot at `left_foot`. The left foot stands far enough from the
    buttock that the left knee is low, which leaves the right shin room to let its knee fall."""
    return Pose(
        Reach("left_knee", (-0.08, 0.03, 0.07), (0.15, -1.0, -0.75)),
        Reach("floor", left_foot, (-0.2, 0.1, 1.0)),
        Reach("left_inner_thigh", (-0.05, 0.0, -0.08), (0.0, -1.0, 0.0)),
        Reach("left_inner_thigh", (-0.05, 0.06, -0.08), (0.0, 1.0, 0.0)),
        effort=effort,
    )


DRAWINGS: dict[str, Drawing] = {
    # knees bent, feet flat; the knees squeeze a pillow between them
    "hip_adduction": Drawing(
        start=_crook_lying(spread=0.32, knees_out=0.5, effort=0.0),
        held=_crook_lying(spread=0.32, knees_out=0.12, effort=1.0),
        glow=("right_inner_thigh", "left_inner_thigh"),
        arrows=(
            Arrow("right_knee", (0.0, 1.0, 0.0), gap=-0.32, length=0.17),
            Arrow("left_knee", (0.0, -1.0, 0.0), gap=-0.32, length=0.17),
        ),
        pillows=(Pillow("knees", (0.0, 0.0, -0.04), (0.09, 0.1, 0.07), ("right_knee", "left_knee")),),
        azimuth=90,
        elevation=24,
    ),
    # knees bent, feet flat, a band around the thighs; the knees push apart against it
    "hip_abduction": Drawing(
        start=_crook_lying(spread=0.3, knees_out=0.08, effort=0.0),
        held=_crook_lying(spread=0.3, knees_out=0.75, effort=1.0),
        glow=("right_outer_hip", "left_outer_hip"),
        arrows=(
            Arrow("right_knee", (0.0, -1.0, 0.0), gap=0.16, length=0.17),
            Arrow("left_knee", (0.0, 1.0, 0.0), gap=0.16, length=0.17),
        ),
        band=True,
        azimuth=90,
        elevation=24,
    ),
    # on the back, head on a pillow, calves on a pile of pillows, right leg crossed over the left
    "hip_flexion": Drawing(
        start=Pose(
            Angles(flexion=33, abduction=-9, knee=30),
            Angles(flexion=25, knee=24),
            *_HANDS_BY_HIPS,
            chest_lift=8,
        ),
        held=Pose(
            Angles(flexion=31, abduction=-11, knee=29),
            Angles(flexion=26, abduction=-2, knee=25),
            *_HANDS_BY_HIPS,
            chest_lift=8,
            effort=1.0,
        ),
        glow=("right_hip", "left_hip"),
        arrows=(Arrow("right_ankle", (0.0, 0.0, -1.0), gap=-0.46, length=0.3),),
        pillows=(_PILLOW_UNDER_HEAD, *_PILLOWS_UNDER_CALVES),
        azimuth=0,
        elevation=45,
    ),
    # on the left side, right knee bent and resting in front, chest turned to the ceiling
    "hip_abductor_stretch": Drawing(
        start=_on_the_left_side(knee_down=12, effort=0.0),
        held=_on_the_left_side(knee_down=27, effort=1.0),
        glow=("right_outer_hip",),
        arrows=(Arrow("right_knee", (0.0, 0.0, -1.0), gap=-0.42, length=0.3),),
        azimuth=160,
        elevation=50,
    ),
    # on the back, left leg long, right knee held below the kneecap and drawn to the chest
    "knee_to_chest": Drawing(
        start=Pose(
            Angles(flexion=75, knee=100),
            Angles(flexion=-3),
            Reach("right_shin", (0.0, -0.07, 0.02), (0.0, -1.0, 0.5)),
            Reach("right_shin", (0.0, 0.07, 0.02), (0.0, 1.0, 0.5)),
        ),
        held=Pose(
            Angles(flexion=118, knee=125),
            Angles(flexion=-3),
            Reach("right_shin", (0.0, -0.07, 0.02), (0.0, -1.0, 0.5)),
            Reach("right_shin", (0.0, 0.07, 0.02), (0.0, 1.0, 0.5)),
            effort=1.0,
        ),
        glow=("right_buttock", "low_back"),
        arrows=(Arrow("right_knee", (-1.0, 0.0, 0.35), gap=0.14, length=0.2, bend=0.3),),
        azimuth=0,
        elevation=10,
    ),
    # on the back, right ankle on the left knee (a figure four), hands behind the left thigh; the
    # left foot lifts. Seen from high above the right-feet corner: the right leg is a "V" whose
    # knee has fallen out to the side, its shin ends on the left knee, and the left leg beside it
    # is a plain upside-down "V" standing on its foot, then lifted; the arms lie along the sides
    # of the torso. From straight above the feet the left leg looked straight and the arms
    # crossed the chest; from the side, an arm ran diagonally across the body; with the right
    # knee higher, its thigh pointed at the camera.
    "piriformis_stretch": Drawing(
        start=_figure_four(left_foot=(0.55, 0.13, 0.06), effort=0.0),
        held=_figure_four(left_foot=(0.6, 0.13, 0.25), effort=1.0),
        glow=("right_buttock",),
        arrows=(Arrow("left_ankle", (-0.2, 0.4, 1.0), gap=0.12, length=0.2),),
        azimuth=40,
        elevation=60,
    ),
}


def _frames(drawing: Drawing) -> list[Image.Image]:
    return [draw_frame(drawing, pose) for pose in _poses(drawing)]


def _gif(frames: Sequence[Image.Image]) -> bytes:
    """The frames as a looping GIF with one palette, taken from the held frame (deterministic)."""
    middle = frames[REST_FRAMES + MOVE_FRAMES]
    palette = middle.quantize(PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    indexed = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
    buffer = BytesIO()
    indexed[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=indexed[1:],
        duration=FRAME_MS,
        loop=0,
        disposal=1,
    )
    return buffer.getvalue()


def _png(image: Image.Image) -> bytes:
    buffer = BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def render_exercise(key: str, sides: Sequence[Side | None]) -> dict[Side | None, tuple[bytes, bytes]]:
    """The animation (GIF) and still (PNG) of an exercise for each side; left mirrors right."""
    frames = _frames(DRAWINGS[key])
    by_side = {}
    for side in sides:
        shown = [ImageOps.mirror(frame) for frame in frames] if side == "left" else frames
        by_side[side] = (_gif(shown), _png(shown[REST_FRAMES + MOVE_FRAMES]))
    return by_side


def write_pictures(folder: Path) -> list[Path]:
    """Draw every exercise picture into `folder`; the paths written."""
    written = []
    for entry in ROUTINE:
        sides = picture_sides(entry.key)
        for side, files in render_exercise(entry.key, sides).items():
            for kind, data in zip(PICTURE_KINDS, files, strict=True):
                path = folder / picture_file_name(picture_name(entry.key, side, kind))
                path.write_bytes(data)
                written.append(path)
    return written


if __name__ == "__main__":
    for path in write_pictures(PICTURES_FOLDER):
        print(path, path.stat().st_size)
