"""Third-party browser code, served from node_modules/ (pinned in package.json, installed by
`make node-deps`, never copied into the repo). See docs/reader.md.

pdf.js is mounted under /vendor: its build (the library and its worker), the CMaps and the
standard font data. Without node_modules the app still starts: these paths answer 404 and the
reader page says what is missing.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from meeting_app.templating import ROOT

PDFJS = ROOT / "node_modules" / "pdfjs-dist"
# URL prefix -> directory inside the pdfjs-dist package.
PDFJS_MOUNTS = {
    "/vendor/pdfjs": "build",
    "/vendor/pdfjs-cmaps": "cmaps",
    "/vendor/pdfjs-fonts": "standard_fonts",
}
PDFJS_FILES = ("build/pdf.min.mjs", "build/pdf.worker.min.mjs")

mimetypes.add_type("text/javascript", ".mjs")  # module scripts need a JavaScript type (nosniff)


class VendorFiles(StaticFiles):
    """StaticFiles over a directory that may not exist yet: 404 until `npm ci` has run."""

    async def check_config(self) -> None:
        if self.directory is not None and Path(self.directory).is_dir():
            await super().check_config()


def mounts(package: Path = PDFJS) -> list[BaseRoute]:
    return [
        Mount(prefix, VendorFiles(directory=package / folder, check_dir=False))
        for prefix, folder in PDFJS_MOUNTS.items()
    ]


def pdfjs_version(package: Path | None = None) -> str | None:
    """The installed pdf.js version, or None when the package or its two modules are missing."""
    package = PDFJS if package is None else package
    if not all((package / name).is_file() for name in PDFJS_FILES):
        return None
    try:
        version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return version if isinstance(version, str) else None
