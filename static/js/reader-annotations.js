// Highlights and notes anchored to passages (issue 17; docs/reader.md, docs/annotations.md).
// The project's own model is the source of truth (GET/POST /api/v1/documents/{id}/annotations,
// PATCH/DELETE /api/v1/annotations/{id}); nothing is kept in pdf.js's annotation storage.
//
// - Selecting text on the page's text layer offers "Tô sáng" and "Ghi chú" in a small toolbar
//   near the selection; the passage becomes a TextQuoteSelector (reader-anchor.js).
// - The annotations of the page on screen are drawn over it when its text layer is drawn
//   (reader.js's "reader:textlayer" event): each quote is found in the layer's text (its prefix
//   and suffix choosing among repeats) and marked with rectangles; a note has a marker in the
//   margin that opens it in the panel.
// - The panel lists them (reader-annotations-list.js), with the note form, the sharing and the
//   keyboard's way to annotate (reader-annotations-form.js).
// - What the server says was carried to a new version, and annotations shared with the reader
//   on /ws/me ({"type": "annotation", ...}), are announced in #annot-announce (role=status).

import { api } from "./csrf.js";
import { indexLayer, locate, rangeOf, rectsOf, selectorFromRange } from "./reader-anchor.js";
import { setupAnnotationForm } from "./reader-annotations-form.js";
import { setupAnnotationList } from "./reader-annotations-list.js";

const MARKER = 44; // px: a touch target
const SELECTION_MS = 150;
const TAP_GRACE_MS = 600;

function format(template, params) {
  return (template || "").replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));
}

export function setupAnnotations({ root, panel, version, openPanel, goTo }) {
  if (!panel || !root.dataset.annotations) return { show() {} };
  const url = root.dataset.annotations;
  const documentId = Number(root.dataset.document);
  const maxQuote = Number(panel.dataset.maxQuote) || 2000;
  const editable = panel.dataset.editable !== "false"; // only the latest version takes new ones
  const el = (id) => document.getElementById(id);
  const sheet = el("sheet");
  const stage = el("stage");
  const tools = el("annot-tools");
  const region = el("annot-announce");
  const count = el("annot-count");
  const summary = el("annot-summary");
  const msg = (name, params = {}) => format(panel.dataset[`msg${name}`] || root.dataset[`msg${name}`], params);

  let items = [];
  let page = Number(root.dataset.currentPage) || 1;
  let index = null; // the text of the page on screen (reader-anchor.js), with its page number
  let pending = null; // the selector of the selection the toolbar offers to annotate
  let missing = new Set(); // ids of this page's annotations whose quote is not in its text layer

  // --- announcements ----------------------------------------------------------------------------

  const carriedLine = document.createElement("p");
  carriedLine.className = "annot-carried";
  const messageLine = document.createElement("p");
  messageLine.className = "annot-message";

  function announce(text, isError = false) {
    messageLine.textContent = text;
    messageLine.classList.toggle("is-error", isError);
    if (!messageLine.isConnected) region.append(messageLine);
  }

  function showCarried(carried) {
    const moved = carried && (carried.carried || carried.orphaned) ? carried : null;
    if (!moved) {
      carriedLine.remove();
      summary.hidden = true;
      return;
    }
    const params = { carried: moved.carried, orphaned: moved.orphaned, version: moved.to_version };
    const text = msg(moved.orphaned ? "Carried" : "CarriedAll", params);
    carriedLine.textContent = text;
    summary.textContent = text;
    summary.hidden = false;
    if (!carriedLine.isConnected) region.prepend(carriedLine);
  }

  // --- the list and the forms -------------------------------------------------------------------

  const list = setupAnnotationList({
    panel,
    msg,
    version,
    onGo: (item) => goTo(item.page),
    onEdit: (item) => {
      form.edit(item);
      form.focusText();
      if (item.kind !== "note") panel.querySelector("#annot-share-secretariat").focus();
    },
    onDelete: remove,
  });
  const form = setupAnnotationForm({
    panel,
    msg,
    audienceUrl: root.dataset.audience,
    getIndex: () => (index && index.page === page && index.layer.isConnected ? index : null),
    create,
    update,
    afterSave: (item) => list.focusItem(item.id),
  });

  function refresh() {
    draw();
    list.render(items, page, missing);
    count.textContent = items.length ? String(items.length) : "";
    count.hidden = !items.length;
  }

  async function load() {
    try {
      const found = await api("GET", `${url}?version=${version}`);
      items = found.items || [];
      showCarried(found.carried);
      refresh();
    } catch (error) {
      announce(msg("LoadFailed", { error: error.message }), true);
    }
  }

  async function create(selector, kind, text, share) {
    if (selector.exact.length > maxQuote) throw new Error(msg("TooLong", { limit: maxQuote }));
    const body = { version, kind, page: selector.page, exact: selector.exact, prefix: selector.prefix, suffix: selector.suffix };
    if (kind === "note") body.text = text;
    if (share) body.share = share;
    const made = await api("POST", url, body);
    items.push(made);
    refresh();
    announce(msg(kind === "note" ? "Saved" : "Highlighted", { page: made.page }));
    return made;
  }

  async function update(item, changes) {
    const saved = await api("PATCH", `/api/v1/annotations/${item.id}`, changes);
    items = items.map((i) => (i.id === saved.id ? saved : i));
    refresh();
    announce(msg("Saved", { page: saved.page }));
    return saved;
  }

  async function remove(item) {
    try {
      await api("DELETE", `/api/v1/annotations/${item.id}`);
      items = items.filter((i) => i.id !== item.id);
      refresh();
      announce(msg("Deleted"));
      const next = panel.querySelector(".annot-go") || panel.querySelector("#annot-find");
      if (next) next.focus();
    } catch (error) {
      announce(msg("Failed", { error: error.message }), true);
    }
  }

  // --- drawing on the page ----------------------------------------------------------------------

  function marker(item, top) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `annot-marker${item.mine ? "" : " is-shared"}`;
    button.dataset.annotation = String(item.id);
    button.setAttribute("aria-label", msg("Marker", { page: item.page, text: (item.text || "").slice(0, 80) }));
    button.title = (item.text || "").slice(0, 200);
    const dot = document.createElement("span");
    dot.setAttribute("aria-hidden", "true");
    dot.textContent = "✎";
    button.append(dot);
    button.style.top = `${Math.round(top)}px`;
    button.addEventListener("click", () => {
      openPanel("annotations");
      list.focusItem(item.id);
    });
    return button;
  }

  function draw() {
    sheet.querySelectorAll(".annot-layer").forEach((layer) => layer.remove());
    missing = new Set();
    if (!index || index.page !== page || !index.layer.isConnected) return;
    const overlay = document.createElement("div");
    overlay.className = "annot-layer";
    const width = sheet.clientWidth;
    const taken = [];
    for (const item of items) {
      if (item.state === "orphaned" || item.page !== page || (item.version && item.version !== version)) continue;
      const where = locate(index, item);
      const range = where && rangeOf(index, where.start, where.end);
      const rects = range ? rectsOf(index, range, sheet) : [];
      if (!rects.length) {
        missing.add(item.id);
        continue;
      }
      for (const r of rects) {
        const mark = document.createElement("div");
        mark.className = `annot-mark is-${item.kind}${item.mine ? "" : " is-shared"}`;
        mark.dataset.annotation = String(item.id);
        Object.assign(mark.style, {
          left: `${r.left}px`,
          top: `${r.top}px`,
          width: `${r.width}px`,
          height: `${r.height}px`,
        });
        overlay.append(mark);
      }
      if (item.kind === "note") {
        // In the right margin, level with the passage's first line, never over another marker.
        let top = Math.max(0, rects[0].top + rects[0].height / 2 - MARKER / 2);
        while (taken.some((t) => Math.abs(t - top) < MARKER + 2)) top += MARKER + 2;
        taken.push(top);
        const m = marker(item, Math.min(top, Math.max(0, sheet.clientHeight - MARKER)));
        m.style.left = `${Math.max(0, width - MARKER - 2)}px`;
        overlay.append(m);
      }
    }
    sheet.append(overlay);
  }

  root.addEventListener("reader:textlayer", (event) => {
    const { page: drawn, layer } = event.detail;
    if (drawn !== page) return;
    index = Object.assign(indexLayer(layer), { page: drawn });
    hideTools();
    refresh();
    form.pageChanged();
  });

  // --- the selection toolbar ------------------------------------------------------------------

  function hideTools() {
    tools.hidden = true;
    pending = null;
  }

  function showTools(range) {
    const box = range.getBoundingClientRect();
    const frame = stage.getBoundingClientRect();
    tools.hidden = false;
    const w = tools.offsetWidth;
    const h = tools.offsetHeight;
    const left = box.left - frame.left + stage.scrollLeft + box.width / 2 - w / 2;
    const minLeft = stage.scrollLeft + 4;
    const maxLeft = stage.scrollLeft + stage.clientWidth - w - 4;
    let top = box.bottom - frame.top + 8;
    if (top + h > stage.clientHeight - 4) top = box.top - frame.top - h - 8;
    tools.style.left = `${Math.round(Math.max(minLeft, Math.min(left, maxLeft)))}px`;
    tools.style.top = `${Math.round(Math.max(4, top))}px`;
  }

  function checkSelection() {
    const selection = document.getSelection();
    if (!editable || !index || !index.layer.isConnected || !selection || selection.rangeCount === 0 || selection.isCollapsed) {
      // A tap on the toolbar may clear the selection before its click arrives: keep it a moment.
      if (!tools.contains(document.activeElement) && performance.now() - pressed > TAP_GRACE_MS) hideTools();
      return;
    }
    const range = selection.getRangeAt(0);
    if (!index.layer.contains(range.startContainer) && !index.layer.contains(range.endContainer)) {
      hideTools();
      return;
    }
    const selector = selectorFromRange(index, range, page);
    if (!selector) {
      hideTools();
      return;
    }
    pending = selector;
    showTools(range);
  }

  let selectionTimer = null;
  document.addEventListener("selectionchange", () => {
    window.clearTimeout(selectionTimer);
    selectionTimer = window.setTimeout(checkSelection, SELECTION_MS);
  });
  // A press on the toolbar keeps the selection (and the toolbar) where they are.
  let pressed = -Infinity;
  tools.addEventListener("mousedown", (event) => event.preventDefault());
  tools.addEventListener("pointerdown", () => (pressed = performance.now()));
  tools.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      document.getSelection().removeAllRanges();
      hideTools();
      stage.focus();
    }
  });

  el("annot-highlight").addEventListener("click", async () => {
    const selector = pending;
    if (!selector) return;
    try {
      await create(selector, "highlight", "", null);
      document.getSelection().removeAllRanges();
      hideTools();
    } catch (error) {
      announce(msg("Failed", { error: error.message }), true);
    }
  });
  el("annot-note").addEventListener("click", () => {
    const selector = pending;
    if (!selector) return;
    if (selector.exact.length > maxQuote) {
      announce(msg("TooLong", { limit: maxQuote }), true);
      return;
    }
    document.getSelection().removeAllRanges();
    hideTools();
    form.compose(selector, "note");
    openPanel("annotations");
  });

  // --- live: annotations shared with this reader ------------------------------------------------

  document.addEventListener("ecab:me", async (event) => {
    const frame = event.detail || {};
    if (frame.type !== "annotation" || Number(frame.document_id) !== documentId) return;
    await load();
    const item = items.find((i) => i.id === Number(frame.annotation_id));
    if (frame.action === "shared" && item) announce(msg("LiveShared", { name: item.author ? item.author.name : "", page: item.page }));
    else if (frame.action === "changed") announce(msg("LiveChanged"));
    else if (frame.action === "deleted") announce(msg("LiveDeleted"));
  });
  let opens = 0;
  document.addEventListener("ecab:me-open", () => {
    opens += 1;
    if (opens > 1) load(); // the socket was down: what was shared meanwhile
  });

  load();

  return {
    show(newPage) {
      if (newPage === page) return;
      page = newPage;
      hideTools();
      refresh();
    },
  };
}
