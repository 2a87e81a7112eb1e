"""The Unicode TrueType fonts that generated pages use (Vietnamese needs more than the PDF core fonts)."""

from __future__ import annotations

import atexit
import hashlib
import io
import os
import shutil
import stat
import tempfile
from functools import cache
from pathlib import Path

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
_COVERED = frozenset(_UNICODES) | frozenset((0x09, 0x0A, 0x0D))


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
    from fontTools import subset  # type: ignore[import-untyped]  # ~0.3 s to import: only when needed
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    regular, bold = font_files()
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


@cache
def subset_font_files() -> tuple[Path, Path]:
    """`subset_fonts()` as files (fpdf2 reads fonts from files only).

    Kept in a folder of this user's own under the temporary directory (mode 0700), named after
    the installed fonts, so a new process (a fresh pool worker) reads them instead of spending
    a second subsetting them. When that folder is not safely ours, a private one is made for
    this process and removed when it exits.
    """
    regular, bold = font_files()
    facts = [_UNICODES, *((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in (regular, bold))]
    key = hashlib.sha256(repr(facts).encode()).hexdigest()[:16]
    uid = os.getuid() if hasattr(os, "getuid") else 0
    folder = Path(tempfile.gettempdir()) / f"ecabinet-fonts-{uid}-{key}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        found = os.lstat(folder)
        safe = stat.S_ISDIR(found.st_mode) and found.st_uid == uid and not found.st_mode & 0o077
    except OSError:
        safe = False
    if not safe:
        folder = Path(tempfile.mkdtemp(prefix="ecabinet-fonts-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    files = (folder / "regular.ttf", folder / "bold.ttf")
    if not all(f.is_file() for f in files):
        for target, data in zip(files, subset_fonts(), strict=True):
            partial = folder / f".{target.name}.{os.getpid()}.part"
            partial.write_bytes(data)
            os.replace(partial, target)
    return files


def fonts_for(text: str) -> tuple[Path, Path]:
    """Regular and bold files that can draw `text`: the Vietnamese subset when it covers every
    character (it loads in ~10 ms instead of ~100 ms), else the full fonts."""
    if all(ord(ch) in _COVERED for ch in text):
        return subset_font_files()
    return font_files()
