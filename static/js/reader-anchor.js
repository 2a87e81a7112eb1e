// Passages of a page as W3C Web Annotation TextQuoteSelectors (docs/annotations.md): the exact
// text, 32 characters before it (prefix) and after it (suffix), over the page's text as pdf.js's
// text layer gives it: the items' strings joined, with "\n" where an item ends a line (the
// layer's <br>), in Unicode NFC with every run of whitespace collapsed to one space and the ends
// trimmed. The server normalises its own page text the same way.
//
// `indexLayer(layer)` reads a drawn text layer once into that text, remembering for each of its
// characters the text node and offsets it came from, so that a DOM selection becomes a selector
// and a selector becomes a DOM range (and its rectangles) again.

export const CONTEXT = 32;
const MARK = /\p{M}/u;
const SPACE = /\s/u;

export function normalise(text) {
  return (text || "").normalize("NFC").replace(/\s+/gu, " ").trim();
}

export function indexLayer(layer) {
  const chars = []; // [text, node, start, end]: node null for a line end
  const walker = document.createTreeWalker(layer, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT, {
    acceptNode: (node) =>
      node.nodeType === Node.TEXT_NODE || node.nodeName === "BR" ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP,
  });
  let text = "";
  const nodes = [];
  const starts = [];
  const ends = [];
  const push = (ch, node, start, end) => {
    if (SPACE.test(ch)) {
      if (!text || text.endsWith(" ")) return;
      ch = " ";
    }
    text += ch;
    nodes.push(node);
    starts.push(start);
    ends.push(end);
  };
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.nodeType !== Node.TEXT_NODE) {
      push("\n", null, 0, 0);
      continue;
    }
    const raw = node.data;
    let i = 0;
    while (i < raw.length) {
      // One base character and the marks that follow it, composed (NFC) together.
      let j = i + (raw.codePointAt(i) > 0xffff ? 2 : 1);
      while (j < raw.length && MARK.test(String.fromCodePoint(raw.codePointAt(j)))) j += raw.codePointAt(j) > 0xffff ? 2 : 1;
      for (const ch of raw.slice(i, j).normalize("NFC")) push(ch, node, i, j);
      i = j;
    }
  }
  while (text.endsWith(" ")) {
    text = text.slice(0, -1);
    nodes.pop();
    starts.pop();
    ends.pop();
  }
  return { layer, text, nodes, starts, ends, folded: null };
}

// Case- and diacritics-insensitive: each character of the page text folds to at most one, and
// `map` leads a folded position back to the page text's.
function fold(text) {
  let folded = "";
  const map = [];
  for (let i = 0; i < text.length; i++) {
    const base = text[i].normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().replace("đ", "d");
    if (!base) continue;
    folded += base[0];
    map.push(i);
  }
  return { folded, map };
}

export function foldQuery(query) {
  return fold(normalise(query)).folded;
}

function foldedOf(index) {
  if (!index.folded) index.folded = fold(index.text);
  return index.folded;
}

export function selectorAt(index, start, end, page) {
  return {
    page,
    exact: index.text.slice(start, end),
    prefix: index.text.slice(Math.max(0, start - CONTEXT), start),
    suffix: index.text.slice(end, end + CONTEXT),
  };
}

// The selector of a DOM range over the layer: the characters it holds, without the spaces at
// its ends; null when it holds no text of the layer.
export function selectorFromRange(index, range, page) {
  let first = -1;
  let last = -1;
  for (let i = 0; i < index.text.length; i++) {
    const node = index.nodes[i];
    if (!node || index.text[i] === " ") continue;
    let inside = false;
    try {
      inside = range.comparePoint(node, index.starts[i]) >= 0 && range.comparePoint(node, index.ends[i]) <= 0;
    } catch {
      inside = false;
    }
    if (inside) {
      if (first < 0) first = i;
      last = i;
    }
  }
  if (first < 0) return null;
  return selectorAt(index, first, last + 1, page);
}

function commonTail(a, b) {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

function commonHead(a, b) {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

function best(text, found, length, prefix, suffix) {
  let chosen = null;
  let score = -1;
  for (const at of found) {
    // Trimmed: the server keeps the prefix and suffix normalised, without their outer spaces.
    const before = text.slice(Math.max(0, at - CONTEXT * 2), at).trimEnd();
    const after = text.slice(at + length, at + length + CONTEXT * 2).trimStart();
    const s = commonTail(before, prefix) + commonHead(after, suffix);
    if (s > score) {
      score = s;
      chosen = at;
    }
  }
  return chosen;
}

function occurrences(text, needle, limit = 500) {
  const found = [];
  if (!needle) return found;
  for (let at = text.indexOf(needle); at >= 0 && found.length < limit; at = text.indexOf(needle, at + 1)) found.push(at);
  return found;
}

// Where a selector's quote is in the page: {start, end} in the page text, or null. Among
// repeats, the one whose surroundings best match the prefix and the suffix; failing an exact
// match, the same comparison without case and diacritics.
export function locate(index, selector) {
  const exact = normalise(selector.exact);
  const prefix = normalise(selector.prefix);
  const suffix = normalise(selector.suffix);
  const at = best(index.text, occurrences(index.text, exact), exact.length, prefix, suffix);
  if (at !== null) return { start: at, end: at + exact.length };
  const { folded, map } = foldedOf(index);
  const wanted = fold(exact).folded;
  const near = best(folded, occurrences(folded, wanted), wanted.length, fold(prefix).folded, fold(suffix).folded);
  if (near === null || !wanted.length) return null;
  return { start: map[near], end: map[near + wanted.length - 1] + 1 };
}

// Up to `limit` places of the page whose text holds the typed words (any case, with or without
// diacritics): [{start, end}].
export function search(index, query, limit = 20) {
  const wanted = foldQuery(query);
  if (wanted.replace(/ /g, "").length < 2) return [];
  const { folded, map } = foldedOf(index);
  return occurrences(folded, wanted, limit).map((at) => ({ start: map[at], end: map[at + wanted.length - 1] + 1 }));
}

// The DOM range of page text [start, end), from the first to the last character that came from
// a text node.
export function rangeOf(index, start, end) {
  let s = start;
  while (s < end && !index.nodes[s]) s++;
  let e = end - 1;
  while (e >= s && !index.nodes[e]) e--;
  if (s > e) return null;
  const range = document.createRange();
  range.setStart(index.nodes[s], index.starts[s]);
  range.setEnd(index.nodes[e], index.ends[e]);
  return range;
}

// The rectangles of a range's text, one text node at a time (a range's own getClientRects would
// add the boxes of the spans it holds whole), in the coordinates of `origin`.
export function rectsOf(index, range, origin) {
  const base = origin.getBoundingClientRect();
  const rects = [];
  const seen = new Set();
  for (const node of index.nodes) {
    if (!node || seen.has(node) || !range.intersectsNode(node)) continue;
    seen.add(node);
    const part = document.createRange();
    part.selectNodeContents(node);
    if (node === range.startContainer) part.setStart(node, range.startOffset);
    if (node === range.endContainer) part.setEnd(node, range.endOffset);
    for (const r of part.getClientRects()) {
      if (r.width < 0.5 || r.height < 0.5) continue;
      rects.push({ left: r.left - base.left, top: r.top - base.top, width: r.width, height: r.height });
    }
  }
  return rects;
}
