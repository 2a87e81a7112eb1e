"""Checks run on a page as it stands in the browser: axe-core (WCAG 2.2 AA), sideways scrolling
at a given width, and text zoomed to 200% (WCAG 1.4.4). Each returns a list of problems, empty
when the page passes, so that one crawl can gather them all and a test report them together.

axe-core comes from the npm registry (package.json, pinned) and is injected from node_modules,
never copied into the repo.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = [768, 1024, 1366, 1920]
# A code where a label belongs (issue 14, defect 7): `adopted_with_changes`, `agenda.changed action=`.
RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z_]+=")
# The text of <main> a person reads: <code> (a CSV header, an event's kind) is for specialists.
PROSE = """() => {
  const main = document.querySelector('main');
  if (!main) return '';
  const copy = main.cloneNode(true);
  for (const el of copy.querySelectorAll('code, pre, kbd, script, template')) el.remove();
  return copy.textContent;
}"""

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .flatMap(v => v.nodes.map(n => `${v.impact} ${v.id}: ${n.target.join(' ')} (${v.help})`));
}"""

SIDEWAYS = """() => {
  const root = document.scrollingElement;
  if (root.scrollWidth <= window.innerWidth) return [];
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const rect = el.getBoundingClientRect();
    if (rect.right > window.innerWidth + 1 && rect.width > 0) {
      const parent = el.parentElement && el.parentElement.getBoundingClientRect();
      if (!parent || parent.right <= window.innerWidth + 1) {
        const name = `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')}`;
        wide.push(`${name} to ${Math.round(rect.right)}`);
      }
    }
  }
  return [`scrollWidth ${root.scrollWidth} > ${window.innerWidth}: ${wide.slice(0, 4).join(', ')}`];
}"""

CLIPPED = """() => {
  const problems = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.sr-only, [hidden], [aria-hidden=true], canvas, svg, .pdf-pages, .textLayer')) continue;
    const style = getComputedStyle(el);
    const hides = ['hidden', 'clip'];
    if (!hides.includes(style.overflowX) && !hides.includes(style.overflowY)) continue;
    // a visually hidden element (the .sr-only pattern, a table head read out as card labels) is
    // cut on purpose: its text is for screen readers, which read it whole
    if (!el.textContent.trim() || el.clientWidth <= 1 || el.clientHeight <= 1) continue;
    const cutX = hides.includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1;
    const cutY = hides.includes(style.overflowY) && el.scrollHeight > el.clientHeight + 1;
    if (cutX || cutY) {
      problems.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} cut ` +
        `(${el.scrollWidth}x${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight}): ` +
        el.textContent.trim().slice(0, 40));
    }
  }
  return problems;
}"""


# The page's layout as two short strings, its <main> and the rest (the header, its menus, the
# footer): every element in document order, by tag, classes, whether it is hidden, and the
# length of its own text. A page whose <main> laid out the same on its route before, and whose
# rest laid out the same on some page before, holds at every width where those did (the header
# and <main> are stacked: neither sizes the other). The same page as another role sees it, with
# the same controls, is then not measured again.
LAYOUT = """() => {
  const main = document.querySelector('main');
  const sign = (elements) => {
    let hash = 5381, count = 0;
    for (const el of elements) {
      let own = 0;
      for (const node of el.childNodes) if (node.nodeType === 3) own += node.textContent.trim().length;
      const classes = typeof el.className === 'string' ? el.className : '';
      const text = `${el.tagName}.${classes}${el.hidden ? '!' : ''}:${own};`;
      for (let i = 0; i < text.length; i++) hash = ((hash * 33) ^ text.charCodeAt(i)) >>> 0;
      count++;
    }
    return `${count}:${hash.toString(36)}`;
  };
  const all = [...document.body.querySelectorAll('*')];
  return [sign(main ? [main, ...main.querySelectorAll('*')] : all),
          sign(main ? all.filter(el => !main.contains(el)) : [])];
}"""


def layout(page: Any) -> tuple[str, str]:
    """The signatures of the layout of the page's <main> and of the rest of it (LAYOUT)."""
    main, rest = page.evaluate(LAYOUT)
    return str(main), str(rest)


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8") + "\n;void 0"


def axe_violations(page: Any) -> list[str]:
    """The serious and critical axe-core violations of the page, one line per element."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated, not added as a <script>: the app's CSP (script-src 'self') blocks an inline
        # script tag, and the page is checked with its real CSP.
        page.evaluate(_axe_source())
    found: list[str] = page.evaluate(RUN_AXE, AXE_TAGS)
    return found


def sideways(page: Any, widths: list[int] = WIDTHS, height: int = 900) -> list[str]:
    """Widths at which the page scrolls sideways, with the elements that stick out."""
    problems = []
    for width in widths:
        page.set_viewport_size({"width": width, "height": height})
        problems += [f"{width}px: {p}" for p in page.evaluate(SIDEWAYS)]
    return problems


FONT_SIZES = {"standard": 16, "fixed": 13}  # Chromium's defaults


def zoomed_text(page: Any, width: int = 1280, height: int = 800) -> list[str]:
    """Text at 200%, as a reader who sets the browser's font size to twice the default sees it
    (rem, em and em media queries all follow): no sideways scrolling, and no text cut by an
    element that hides its overflow."""
    page.set_viewport_size({"width": width, "height": height})
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("Page.setFontSizes", {"fontSizes": {k: v * 2 for k, v in FONT_SIZES.items()}})
        page.wait_for_timeout(50)
        problems = [f"200%: {p}" for p in page.evaluate(SIDEWAYS) + page.evaluate(CLIPPED)]
    finally:
        cdp.send("Page.setFontSizes", {"fontSizes": FONT_SIZES})
        cdp.detach()
    return problems


def raw_codes(page: Any) -> list[str]:
    """Codes shown to a reader where a label belongs, outside <code>."""
    return sorted(set(RAW_CODE.findall(page.evaluate(PROSE))))
