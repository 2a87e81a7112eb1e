"""The Unicode TrueType fonts that generated pages use (Vietnamese needs more than the PDF core fonts)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from fontTools import subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu (fonts-dejavu-core)
    Path("/usr/share/fonts/dejavu"),  # Fedora, Arch
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
    Path("/opt/homebrew/share/fonts"),
    Path.home() / "Library" / "Fonts",
)
# Latin, Vietnamese (Latin Extended Additional) and punctuation: all the demo papers use.
_UNICODES = [*range(0x20, 0x250), *range(0x300, 0x370), *range(0x1E00, 0x1F00), *range(0x2000, 0x2070)]


def find_font(name: str = "DejaVuSans.ttf") -> Path:
    """The path of a TrueType font shipped by the system, or a clear error naming the package."""
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"Font {name} not found in {', '.join(str(d) for d in FONT_DIRS)}. "
        "Install it (Debian/Ubuntu: apt-get install fonts-dejavu-core) to generate the demo papers."
    )


@cache
def subset_fonts() -> tuple[bytes, bytes]:
    """DejaVu Sans regular and bold cut down to Vietnamese (TrueType bytes), once per process.

    Loading the full font costs fpdf2 about 50 ms per PDF; the subset makes the whole seed fast.
    The bold face falls back to the regular one when it is not installed.
    """
    regular = find_font()
    try:
        bold = find_font("DejaVuSans-Bold.ttf")
    except FileNotFoundError:
        bold = regular
    made: list[bytes] = []
    for source in (regular, bold):
        options = subset.Options()
        options.hinting = False
        options.drop_tables += ["FFTM"]
        with TTFont(str(source), recalcTimestamp=False) as font:
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=_UNICODES)
            subsetter.subset(font)
            buffer = io.BytesIO()
            font.save(buffer)
        made.append(buffer.getvalue())
    return made[0], made[1]


@cache
def font_files() -> tuple[Path, Path]:
    """Regular and bold TrueType files for fpdf2 (which reads fonts from files only)."""
    regular = find_font()
    try:
        bold = find_font("DejaVuSans-Bold.ttf")
    except FileNotFoundError:
        bold = regular
    return regular, bold
