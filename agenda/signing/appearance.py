"""The visible digital signature of Decree 30/2020/NĐ-CP (Appendix I), as a pyHanko stamp style.

The decree fixes how a digitally signed document looks: the signer's signature image is blue,
a PNG on a transparent background; the organisation's seal is red, at its actual size, and
covers about the left third of the signature; the signature names who signed and when, the
time in ISO 8601 with the Vietnamese offset (2026-12-07T16:42:55+07:00).

The signature field, BOX_WIDTH x BOX_HEIGHT points (75.1 x 48.7 mm):

    +--------------------------------------------------+
    |   .-~~-.                                         |  one bitmap, 210 x 108 pt at
    |  ( seal )~~~ blue signature ~~~~~~~~~            |  300 dpi, drawn 1:1: the seal
    |  ( 36mm )~~~~~~~~~                               |  is 36 mm across on paper and
    |   '-..-'                                         |  covers the signature's left third
    |  Ký bởi: Phạm Minh Chính                         |  vector text, DejaVu Sans 7 pt
    |  Thủ tướng Chính phủ                             |  (an embedded subset)
    |  Thời gian ký: 2026-12-07T16:42:55+07:00         |
    +--------------------------------------------------+

Why it is drawn this way:
- Signature and seal are composed by Pillow into one RGBA bitmap, the background of pyHanko's
  TextStampStyle, placed without scaling: the seal's size is part of its legal form, so the
  field has a fixed size (callers must use BOX_WIDTH x BOX_HEIGHT).
- The text is not in the bitmap: pyHanko sets it in an embedded DejaVu Sans subset, so it stays
  sharp and selectable, with the Vietnamese diacritics right. The time is our own parameter
  (iso_time), not pyHanko's %(ts)s, which is strftime in the server's own zone.
- No handwriting is on file, so the signature is drawn from the name with a pen (_signature),
  the same for the same name. The seal is a drawing too: two rings, the organisation's name on
  the upper arc, a star in the centre; the national emblem of real state seals is not drawn.
- The bitmaps depend only on the name, the organisation and the flags: they are drawn, and
  their PDF image streams compressed, once per process (lru_cache); a signature reuses them.
- Seal only (signature=False, the organisation's own signature): the seal in the middle, the
  text centred under it.
"""

from __future__ import annotations

import io
import math
import random
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from fontTools import subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fontTools.ttLib.scaleUpem import scale_upem  # type: ignore[import-untyped]
from PIL import Image, ImageDraw, ImageFont
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import PdfContent, ResourceType
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.layout import AxisAlignment, BoxConstraints, InnerScaling, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.stamp import BaseStampStyle, TextStampStyle

from agenda.pdf.fonts import find_font

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MM = 72 / 25.4  # points in a millimetre
PX = 300 / 72  # pixels in a point at 300 dpi
SEAL_MM = 36.0  # a round seal's diameter
BLUE = (0x1A, 0x3F, 0xA0)
RED = (0xD0, 0x02, 0x1B)
IMAGE_WIDTH, IMAGE_HEIGHT = 210, 108  # points; multiples of 6, so whole pixels at 300 dpi
FONT_SIZE, LEADING, LINES = 7, 9, 3  # pyHanko writes sizes with %d: whole points only
BOX_WIDTH = float(IMAGE_WIDTH + 3)
BOX_HEIGHT = float(1 + IMAGE_HEIGHT + LINES * LEADING + 2)
SUPERSAMPLE = 2  # Pillow's shapes have no anti-aliasing: draw twice as big, then reduce


@dataclass(frozen=True)
class Appearance:
    """What a signature shows; see the module's docstring."""

    signer_name: str  # "Phạm Minh Chính"; for a seal-only signature, the organisation's name
    title: str  # "Thủ tướng Chính phủ"; may be ""
    organisation: str  # "CHÍNH PHỦ", "VĂN PHÒNG CHÍNH PHỦ": the text around the seal
    signed_at: datetime  # timezone-aware
    signature: bool = True  # draw the blue signature image (False: the organisation's seal only)
    seal: bool = True  # draw the red seal over the left third of the signature


def iso_time(value: datetime) -> str:
    """`value` in ISO 8601, Asia/Ho_Chi_Minh, to the second: 2026-12-07T16:42:55+07:00."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("the signing time must be timezone-aware")
    return value.astimezone(VIETNAM).isoformat(timespec="seconds")


def text_params(appearance: Appearance) -> dict[str, str]:
    """The values of the stamp text's parameters: PdfSigner.sign_pdf(appearance_text_params=...)."""
    return {
        "signer": _nfc(appearance.signer_name),
        "title": _nfc(appearance.title),
        "organisation": _nfc(appearance.organisation),
        "signed_at": iso_time(appearance.signed_at),
    }


def stamp_style(appearance: Appearance) -> BaseStampStyle:
    """The field's look: the cached bitmap at actual size above, the text lines below it."""
    title = "%(title)s" if appearance.title.strip() else ""
    lines = ["Ký bởi: %(signer)s", title, "Thời gian ký: %(signed_at)s"]
    name = _nfc(appearance.signer_name) if appearance.signature else ""
    organisation = _nfc(appearance.organisation) if appearance.seal else ""
    image = _background(name, organisation, appearance.signature, appearance.seal)
    return TextStampStyle(
        stamp_text="\n".join(line for line in lines if line),
        text_box_style=_text_style(),
        inner_content_layout=_TEXT_LAYOUT if appearance.signature and appearance.seal else _TEXT_CENTRED,
        background=_Bitmap(image),
        background_layout=_IMAGE_LAYOUT,
        background_opacity=1.0,
        border_width=0,
    )


def _nfc(text: str) -> str:
    # Decomposed Vietnamese (NFD, as some keyboards type it) would stack the marks badly; a line
    # break in a name would add a line to the field.
    return " ".join(unicodedata.normalize("NFC", text).split())


class _FontFactory(GlyphAccumulatorFactory):
    """pyHanko's factory reads the font file at every signature (and leaves it open); this one
    hands it the prepared font from memory."""

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream: Any = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()  # type: ignore[no-untyped-call]
        font = io.BytesIO(_font_bytes())
        return GlyphAccumulator(
            writer=writer, font_handle=font, font_size=self.font_size, obj_stream=obj_stream
        )


# Latin-1, Latin Extended-A, ơ ư, the combining accents, Vietnamese, general punctuation.
_UNICODES = [*range(0x20, 0x7F), *range(0xA0, 0x180), 0x1A0, 0x1A1, 0x1AF, 0x1B0, *range(0x300, 0x324)]
_UNICODES += [*range(0x1EA0, 0x1EFA), *range(0x2010, 0x2027), 0x2030, 0x20AB, 0x20AC]


@lru_cache(maxsize=1)
def _font_bytes() -> bytes:
    """DejaVu Sans cut down to Latin and Vietnamese, in 1000 units per em: ~0.3 s once a process.

    pyHanko 0.38 writes the glyph widths (/W) in the font's own units, which PDF reads as
    thousandths of an em: DejaVu's 2048 units per em spread the letters twice too wide. The cut
    (500 glyphs of 6,000, no layout tables: Vietnamese in NFC needs no mark positioning) brings
    pyHanko's subsetting at each signature from ~270 ms to ~10 ms. Other characters show as boxes.
    """
    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.drop_tables += ["FFTM", "GPOS", "GSUB", "GDEF", "kern", "MATH"]
    with TTFont(str(find_font()), recalcTimestamp=False) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=_UNICODES)
        subsetter.subset(font)
        scale_upem(font, 1000)
        buffer = io.BytesIO()
        font.save(buffer)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def _text_style() -> TextBoxStyle:
    return TextBoxStyle(
        font=_FontFactory(str(find_font()), font_size=FONT_SIZE),
        font_size=FONT_SIZE,
        leading=LEADING,
        box_layout_rule=SimpleBoxLayoutRule(AxisAlignment.ALIGN_MIN, AxisAlignment.ALIGN_MIN),
    )


# The text block sits at the bottom, from the seal's left edge (centred under a seal or a signature
# alone, which sit in the middle); shrunk, never cut, when a long title is wider than the box.
_MIN, _MID, _SHRINK = AxisAlignment.ALIGN_MIN, AxisAlignment.ALIGN_MID, InnerScaling.SHRINK_TO_FIT
_TEXT_LAYOUT = SimpleBoxLayoutRule(_MIN, _MIN, Margins(left=5, right=2, bottom=2), _SHRINK)
_TEXT_CENTRED = SimpleBoxLayoutRule(_MID, _MIN, Margins(left=2, right=2, bottom=2), _SHRINK)
_IMAGE_LAYOUT = SimpleBoxLayoutRule(
    AxisAlignment.ALIGN_MID, AxisAlignment.ALIGN_MAX, Margins(top=1), InnerScaling.NO_SCALING
)


class _Bitmap(PdfContent):
    """The bitmap as an image XObject (RGB, the alpha as its /SMask) from streams deflated once,
    which pyHanko's PdfImage would redo, 1.5 MB of pixels, at every signature."""

    def __init__(self, bitmap: _Compressed) -> None:
        super().__init__(box=BoxConstraints(IMAGE_WIDTH, IMAGE_HEIGHT))
        self.bitmap = bitmap

    def render(self) -> bytes:
        writer, (rgb, alpha, size) = self._ensure_writer, self.bitmap
        stream = _image_stream(size, "/DeviceRGB", rgb)
        stream[generic.pdf_name("/SMask")] = writer.add_object(_image_stream(size, "/DeviceGray", alpha))
        self.set_resource(ResourceType.XOBJECT, generic.pdf_name("/Signature"), writer.add_object(stream))
        return b"q %d 0 0 %d 0 0 cm /Signature Do Q" % (IMAGE_WIDTH, IMAGE_HEIGHT)


def _image_stream(size: tuple[int, int], colour_space: str, data: bytes) -> generic.StreamObject:
    name = generic.pdf_name
    numbers = {"/Width": size[0], "/Height": size[1], "/BitsPerComponent": 8}
    entries: dict[generic.NameObject, generic.PdfObject]
    entries = {name(k): generic.NumberObject(v) for k, v in numbers.items()}  # type: ignore[no-untyped-call]
    entries |= {name("/Type"): name("/XObject"), name("/Subtype"): name("/Image")}
    entries |= {name("/ColorSpace"): name(colour_space), name("/Filter"): name("/FlateDecode")}
    return generic.StreamObject(entries, encoded_data=data)


class _Compressed(NamedTuple):
    rgb: bytes  # deflated
    alpha: bytes  # deflated
    size: tuple[int, int]  # pixels: IMAGE_WIDTH x IMAGE_HEIGHT points at 300 dpi


@lru_cache(maxsize=64)
def _background(name: str, organisation: str, signature: bool, seal: bool) -> _Compressed:
    """Signature and seal in one transparent bitmap: the seal over the signature's left third.
    (About 60 KB each once deflated: the cache holds no pixels.)"""
    width, height = round(IMAGE_WIDTH * PX), round(IMAGE_HEIGHT * PX)
    canvas = Image.new("RGBA", (width, height), (*BLUE, 0))
    diameter = round(SEAL_MM * MM * PX)
    pad = (height - diameter) // 2
    if signature:
        if seal:  # as wide as lets the seal cover its left third
            ink = _signature(name, (width - 2 * pad - diameter) * 3 // 2, round(height * 0.7))
        else:
            ink = _signature(name, width, round(height * 0.75))
        # The seal's right edge a third of the way into the signature, which is level with its centre.
        left = pad + diameter - ink.width // 3 if seal else (width - ink.width) // 2
        canvas.alpha_composite(ink, (max(left, 0), (height - ink.height) // 2 - pad))
    if seal:
        left = pad if signature else (width - diameter) // 2
        canvas.alpha_composite(_seal(organisation, diameter), (left, pad))
    rgb, alpha = canvas.convert("RGB").tobytes(), canvas.getchannel("A").tobytes()
    return _Compressed(zlib.compress(rgb, 6), zlib.compress(alpha, 6), canvas.size)


def _font(file: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(find_font(file)), size)


Point = tuple[float, float]
# How a quick hand writes each letter: knots (dx, y) from where it starts, in x-heights.
_SHAPES = {
    "bdđfhklt": [(0.7, 1.4), (0.55, 2.2), (0.3, 1.3), (0.35, 0.0)],  # a loop up
    "gjpqy": [(0.3, 1.0), (0.4, -1.1), (0.1, -0.8), (0.6, 0.2)],  # a loop down
    "aceo": [(0.55, 0.85), (0.3, 0.8), (0.35, 0.05)],  # a small loop
    "mw": [(0.3, 1.0), (0.5, 0.0), (0.7, 1.0), (0.9, 0.0)],  # two arches
    "": [(0.3, 1.0), (0.5, 0.0)],  # an arch
}


def _signature(name: str, max_width: int, max_height: int) -> Image.Image:
    """The name as a blue pen signature, at most max_width x max_height pixels, on transparency.

    Drawn as a hand writes: a capital (the family name's initial, a stem and a bowl), the given
    name in cursive loops and arches (_SHAPES), its accents as ticks, and a flourish back under
    it all; slanted, rising, and seeded by the name so that a person always signs the same way.
    """
    rng = random.Random(name)
    given = [unicodedata.normalize("NFD", ch) for ch in (name.split() or ["?"])[-1].lower() if ch.isalpha()]

    def j(v: float = 0.07) -> float:
        return rng.uniform(-v, v)

    bowl = rng.uniform(0.8, 1.2)
    capital = [(0.9 + j(), 2.8 + j(0.2)), (0.55, 1.3), (0.25 + j(), -0.3 + j(0.2)), (0.5, 1.5)]
    capital += [(0.5 + 0.8 * bowl, 2.7), (0.5 + 1.4 * bowl, 2.3 + j(0.2)), (1.2, 1.3 + j()), (0.6, 1.4)]
    run: list[Point] = [(1.2, 0.3)]
    marks: list[list[Point]] = []
    x = 1.3
    for letter in given:
        shape = next(knots for letters, knots in _SHAPES.items() if letter[0] in letters or not letters)
        run += [(x + dx + j(), y + j(0.12)) for dx, y in shape]
        if set(letter[1:]) - {"\u0323", "\u031b"}:  # an accent above (not the dot below, the horn): a tick
            marks.append([(x + 0.4, 1.55), (x + 0.6, 1.85)])
        elif letter in ("i", "j"):
            marks.append([(x + 0.45, 1.5), (x + 0.48, 1.58)])
        x += shape[-1][0] + 0.25
    run += [(x + 0.4, 0.7), (x + 0.9, 0.1), (x + 0.5, -0.45), (x * 0.5, -0.7), (0.0, -0.45), (-0.5, 0.0)]
    strokes = [_spline(capital), _spline(run), *(_spline(m) for m in marks)]

    unit = 70 * SUPERSAMPLE  # pixels per x-height
    slant, rise = 0.3, math.radians(4)

    def place(p: Point) -> Point:
        sx, sy = p[0] + slant * p[1], p[1]
        return sx * math.cos(rise) - sy * math.sin(rise), sx * math.sin(rise) + sy * math.cos(rise)

    placed = [[place(p) for p in stroke] for stroke in strokes]
    xs, ys = zip(*(p for stroke in placed for p in stroke), strict=True)
    left, right, bottom, top = min(xs), max(xs), min(ys), max(ys)
    mask = Image.new("L", (round((right - left + 1) * unit), round((top - bottom + 1) * unit)))
    draw = ImageDraw.Draw(mask)
    for stroke in placed:
        n = len(stroke)
        for i, ((x0, y0), (px, py)) in enumerate(zip([stroke[0], *stroke], stroke, strict=False)):
            # Thicker going down, thinner going up; tapered where the pen lands and lifts.
            down = (y0 - py) / (math.dist((x0, y0), (px, py)) or 1.0)
            taper = max(0.4, min(1.0, 8 * (i + 1) / n, 5 * (n - i) / n))
            r = unit * 0.065 * taper * (0.8 + 0.5 * down)
            cx, cy = (px - left + 0.5) * unit, (top - py + 0.5) * unit
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
    mask = mask.crop(mask.getbbox())
    scale = min(max_width / mask.width, max_height / mask.height)
    return _ink(mask, (round(mask.width * scale), round(mask.height * scale)), BLUE, 100)


def _ink(mask: Image.Image, size: tuple[int, int], colour: tuple[int, int, int], percent: int) -> Image.Image:
    """The mask, reduced to its size, as ink of that colour on transparency."""
    ink = Image.new("RGBA", size, (*colour, 0))
    ink.putalpha(mask.resize(size, Image.Resampling.LANCZOS).point(lambda v: v * percent // 100))
    return ink


def _spline(knots: list[Point], steps: int = 28) -> list[Point]:
    """A Catmull-Rom curve through the knots, sampled densely enough for a pen of round dots."""

    def at(a: float, b: float, c: float, d: float, t: float) -> float:
        return 0.5 * (
            2 * b + (c - a) * t + (2 * a - 5 * b + 4 * c - d) * t**2 + (3 * b - a - 3 * c + d) * t**3
        )

    k = [knots[0], *knots, knots[-1]]
    out: list[Point] = []
    for (x0, y0), (x1, y1), (x2, y2), (x3, y3) in zip(k, k[1:], k[2:], k[3:], strict=False):
        n = max(steps, round(math.dist((x1, y1), (x2, y2)) * steps * 2))
        out += [(at(x0, x1, x2, x3, s / n), at(y0, y1, y2, y3, s / n)) for s in range(n)]
    return [*out, knots[-1]]


def _seal(organisation: str, diameter: int) -> Image.Image:
    """A round red seal, diameter pixels across: two rings, the name on the upper arc, a star."""
    d = diameter * SUPERSAMPLE
    r = d / 2
    mask = Image.new("L", (d, d))
    draw = ImageDraw.Draw(mask)
    draw.ellipse((0, 0, d - 1, d - 1), outline=255, width=round(0.05 * r))
    inner = 0.68 * r
    draw.ellipse((r - inner, r - inner, r + inner, r + inner), outline=255, width=round(0.022 * r))
    draw.polygon(_star(r, r, 0.34 * r), fill=255)
    draw.polygon(_star(r, r + 0.84 * r, 0.07 * r), fill=255)
    # The name on the upper arc, each letter turned to face outwards, centred in the band between
    # the rings; a long name gets smaller letters rather than going past the bottom star.
    text, widest = organisation.upper(), math.radians(280)
    size = round(0.2 * r)
    while True:
        font = _font("DejaVuSans-Bold.ttf", size)
        base = 0.83 * r - 0.4 * size  # the letters' baseline
        middle = base + 0.35 * size  # where their spacing is measured
        widths = [font.getlength(ch) for ch in text]
        natural = sum(widths) / middle
        if natural <= widest or size < 12:
            break
        size = max(round(size * widest / natural), size - 4)
    span = min(max(natural * 1.35, math.radians(130)), widest, natural * 2.2)
    gap = (span - natural) / max(len(text) - 1, 1)
    angle = math.pi / 2 + span / 2
    cell = size * 3
    for ch, w in zip(text, widths, strict=True):
        angle -= w / middle / 2
        if not ch.isspace():
            glyph = Image.new("L", (cell, cell))
            ImageDraw.Draw(glyph).text((cell / 2, cell / 2), ch, font=font, fill=255, anchor="ms")
            glyph = glyph.rotate(math.degrees(angle - math.pi / 2), resample=Image.Resampling.BICUBIC)
            at = (round(r + base * math.cos(angle) - cell / 2), round(r - base * math.sin(angle) - cell / 2))
            mask.paste(255, at, glyph)
        angle -= w / middle / 2 + gap
    return _ink(mask, (diameter, diameter), RED, 92)  # stamped ink: the signature shows through a little


def _star(cx: float, cy: float, radius: float) -> list[Point]:
    """A five-pointed star, point up."""
    tips = [(radius * (1 if i % 2 == 0 else 0.382), math.pi / 2 + i * math.pi / 5) for i in range(10)]
    return [(cx + r * math.cos(a), cy - r * math.sin(a)) for r, a in tips]
