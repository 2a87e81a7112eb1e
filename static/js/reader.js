// The tablet reader: one document version in pdf.js (pdfjs-dist from node_modules, served
// under /vendor/pdfjs). One page at a time, drawn on a canvas at the screen's pixel ratio,
// with an optional text layer for selection. Pages turn with the buttons, the page number,
// a swipe, or the keyboard (arrows, PageUp/PageDown). Zoom in and out, or fit the width
// (the default on tablets). The outline and the private notes live in their own modules.
//
// Everything the page knows comes in data-* attributes of #reader; no inline script.

import { buildOutline } from "./reader-outline.js";
import { setupNotes } from "./reader-notes.js";
import { setupPanels } from "./reader-panels.js";
import { setupAnnotations } from "./reader-annotations.js";

const PDFJS = "/vendor/pdfjs/pdf.min.mjs";
const WORKER = "/vendor/pdfjs/pdf.worker.min.mjs";
const CSS_UNITS = 96 / 72; // pdf.js "100%": a PDF point at 96 dpi
const ZOOMS = [0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4];
const MAX_CANVAS_PIXELS = 16777216; // 4096 x 4096: what mobile Safari accepts
const SWIPE_MIN = 60; // px
const TEXT_LAYER = true;

const root = document.getElementById("reader");
if (root && document.getElementById("stage")) {
  start(root);
}

function format(template, params) {
  return (template || "").replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));
}

async function start(root) {
  const data = root.dataset;
  const el = (id) => document.getElementById(id);
  const stage = el("stage");
  const sheet = el("sheet");
  const status = el("reader-status");
  const pageInput = el("page-input");
  const prev = el("prev-page");
  const next = el("next-page");
  const zoomLevel = el("zoom-level");
  const fitButton = el("fit-width");
  const msg = (name, params = {}) => format(data["msg" + name], params);

  const say = (text, isError = false) => {
    status.textContent = text;
    status.hidden = !text;
    status.classList.toggle("is-error", isError);
  };

  let pdfjs;
  try {
    pdfjs = await import(PDFJS);
  } catch (error) {
    say(msg("Missing"), true);
    return;
  }
  pdfjs.GlobalWorkerOptions.workerSrc = WORKER;

  const task = pdfjs.getDocument({
    url: data.file,
    isEvalSupported: false,
    disableAutoFetch: true,
    disableStream: true,
    rangeChunkSize: 65536,
    withCredentials: true,
    cMapUrl: data.cmaps,
    cMapPacked: true,
    standardFontDataUrl: data.fonts,
  });
  task.onPassword = () => {
    task.destroy();
  };
  let pdf;
  try {
    pdf = await task.promise;
  } catch (error) {
    say(msg("Failed"), true);
    return;
  }

  const count = pdf.numPages;
  const coarse = window.matchMedia("(pointer: coarse)").matches;
  const state = {
    page: clampPage(pageFromHash() || 1),
    mode: coarse || window.innerWidth <= 1366 ? "width" : "page", // "width", "page" or "zoom"
    scale: CSS_UNITS,
  };
  let outline = { mark() {} }; // until the outline and the notes are set up below
  let notes = { show() {}, flush() {} };
  let annotations = { show() {} };
  let renderSeq = 0;
  let renderTask = null;
  let textLayer = null;
  let lastWidth = 0;

  function clampPage(n) {
    return Math.min(Math.max(1, Math.trunc(n) || 1), count);
  }

  function pageFromHash() {
    const match = /(?:^#|&)page=(\d{1,6})/.exec(window.location.hash);
    return match ? Number(match[1]) : 0;
  }

  // --- drawing ------------------------------------------------------------------------------

  function fitScale(page) {
    const base = page.getViewport({ scale: 1 });
    const style = getComputedStyle(stage);
    const width = stage.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 2;
    const byWidth = Math.max(0.1, width / base.width);
    if (state.mode === "width") return byWidth;
    const top = Math.max(0, stage.getBoundingClientRect().top);
    const height = window.innerHeight - Math.min(top, window.innerHeight / 2) - 24;
    return Math.max(0.1, Math.min(byWidth, height / base.height));
  }

  async function render() {
    const seq = ++renderSeq;
    const page = await pdf.getPage(state.page);
    if (seq !== renderSeq) return;
    if (state.mode !== "zoom") state.scale = fitScale(page);
    const viewport = page.getViewport({ scale: state.scale });
    const ratio = window.devicePixelRatio || 1;
    let output = ratio;
    if (viewport.width * viewport.height * output * output > MAX_CANVAS_PIXELS) {
      output = Math.sqrt(MAX_CANVAS_PIXELS / (viewport.width * viewport.height));
    }
    const canvas = document.createElement("canvas");
    canvas.width = Math.floor(viewport.width * output);
    canvas.height = Math.floor(viewport.height * output);
    canvas.style.width = `${Math.floor(viewport.width)}px`;
    canvas.style.height = `${Math.floor(viewport.height)}px`;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", msg("PageLabel", { page: state.page }));
    if (renderTask) renderTask.cancel();
    if (textLayer) textLayer.cancel();
    renderTask = page.render({
      canvasContext: canvas.getContext("2d", { alpha: false }),
      viewport,
      transform: output !== 1 ? [output, 0, 0, output, 0, 0] : null,
    });
    try {
      await renderTask.promise;
    } catch (error) {
      if (error && error.name === "RenderingCancelledException") return;
      say(msg("Failed"), true);
      return;
    }
    if (seq !== renderSeq) return;
    renderTask = null;
    sheet.style.width = `${Math.floor(viewport.width)}px`;
    sheet.style.height = `${Math.floor(viewport.height)}px`;
    sheet.style.setProperty("--scale-factor", String(state.scale));
    const layer = document.createElement("div");
    layer.className = "textLayer";
    sheet.replaceChildren(canvas, layer);
    sheet.dataset.page = String(state.page);
    stage.classList.toggle("is-wide", stage.scrollWidth > stage.clientWidth + 1);
    say("");
    if (TEXT_LAYER) {
      textLayer = new pdfjs.TextLayer({ textContentSource: page.streamTextContent(), container: layer, viewport });
      // The hook for the annotations (reader-annotations.js): this page's text layer is whole.
      const shown = state.page;
      textLayer
        .render()
        .then(() => {
          if (seq !== renderSeq) return;
          root.dispatchEvent(new CustomEvent("reader:textlayer", { detail: { page: shown, layer, sheet } }));
        })
        .catch(() => {});
    }
  }

  // --- navigation ---------------------------------------------------------------------------

  function update() {
    pageInput.value = String(state.page);
    pageInput.max = String(count);
    el("page-count").textContent = `/ ${count}`;
    prev.disabled = state.page <= 1;
    next.disabled = state.page >= count;
    const percent = Math.round((state.scale / CSS_UNITS) * 100);
    zoomLevel.textContent = `${percent}%`;
    zoomLevel.title = `${msg("Zoom")}: ${percent}%`;
    fitButton.setAttribute("aria-pressed", String(state.mode === "width"));
    root.dataset.currentPage = String(state.page);
    const hash = `#page=${state.page}`;
    if (window.location.hash !== hash) history.replaceState(null, "", hash);
    outline.mark(state.page);
    notes.show(state.page);
    annotations.show(state.page);
  }

  async function goTo(n) {
    const target = clampPage(n);
    if (target === state.page && sheet.dataset.page === String(target)) return;
    state.page = target;
    update();
    const top = stage.getBoundingClientRect().top;
    if (top < 0) window.scrollBy(0, top - toolbarHeight());
    stage.scrollLeft = 0;
    await render();
    update();
  }

  function toolbarHeight() {
    const bar = document.querySelector(".reader-toolbar");
    return bar ? bar.getBoundingClientRect().height + 8 : 0;
  }

  function zoom(direction) {
    const current = state.scale / CSS_UNITS;
    let target = direction > 0 ? ZOOMS.find((z) => z > current + 0.01) : [...ZOOMS].reverse().find((z) => z < current - 0.01);
    if (target === undefined) target = direction > 0 ? ZOOMS[ZOOMS.length - 1] : ZOOMS[0];
    state.mode = "zoom";
    state.scale = target * CSS_UNITS;
    render().then(update);
  }

  prev.addEventListener("click", () => goTo(state.page - 1));
  next.addEventListener("click", () => goTo(state.page + 1));
  pageInput.addEventListener("change", () => {
    const wanted = Number(pageInput.value);
    if (Number.isFinite(wanted) && wanted >= 1) goTo(wanted);
    else pageInput.value = String(state.page);
  });
  pageInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      pageInput.blur();
      pageInput.dispatchEvent(new Event("change"));
    }
  });
  el("zoom-in").addEventListener("click", () => zoom(1));
  el("zoom-out").addEventListener("click", () => zoom(-1));
  fitButton.addEventListener("click", () => {
    state.mode = state.mode === "width" ? "page" : "width";
    render().then(update);
  });

  // The keyboard, shown on screen in the toolbar's hint and on each button (aria-keyshortcuts):
  // ← → PageUp PageDown turn pages, Home End go to the first and last; + − zoom, 0 fits the
  // width; N opens the notes (focus in the note), M the outline (focus on its current entry),
  // A the annotations; Escape closes the panel it is pressed in and returns to its button.
  const keys = {
    ArrowRight: () => goTo(state.page + 1),
    PageDown: () => goTo(state.page + 1),
    ArrowLeft: () => goTo(state.page - 1),
    PageUp: () => goTo(state.page - 1),
    Home: () => goTo(1),
    End: () => goTo(count),
    "+": () => zoom(1),
    "=": () => zoom(1),
    "-": () => zoom(-1),
    "0": () => {
      state.mode = "width";
      render().then(update);
    },
    n: () => openPanel("notes"),
    N: () => openPanel("notes"),
    m: () => openPanel("outline"),
    M: () => openPanel("outline"),
    a: () => openPanel("annotations"),
    A: () => openPanel("annotations"),
  };
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable], summary, .reader-panel, .version-picker")) return;
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  // Swipe: one finger, mostly sideways, quick. When the page is zoomed wider than the screen,
  // a swipe first scrolls it; it turns the page only from the edge it was already at.
  let touch = null;
  stage.addEventListener(
    "touchstart",
    (event) => {
      if (event.touches.length !== 1) {
        touch = null;
        return;
      }
      const t = event.touches[0];
      const maxLeft = stage.scrollWidth - stage.clientWidth;
      touch = {
        x: t.clientX,
        y: t.clientY,
        at: performance.now(),
        atLeft: stage.scrollLeft <= 1,
        atRight: stage.scrollLeft >= maxLeft - 1,
      };
    },
    { passive: true },
  );
  stage.addEventListener(
    "touchend",
    (event) => {
      if (!touch || event.touches.length !== 0) return;
      const t = event.changedTouches[0];
      const dx = t.clientX - touch.x;
      const dy = t.clientY - touch.y;
      const quick = performance.now() - touch.at < 800;
      const sideways = Math.abs(dx) > SWIPE_MIN && Math.abs(dx) > 2 * Math.abs(dy);
      if (quick && sideways) {
        if (dx < 0 && touch.atRight) goTo(state.page + 1);
        else if (dx > 0 && touch.atLeft) goTo(state.page - 1);
      }
      touch = null;
    },
    { passive: true },
  );
  stage.addEventListener("touchcancel", () => (touch = null), { passive: true });

  // Refit when the stage changes width (rotation, a panel opening or closing).
  const resized = new ResizeObserver(() => {
    const width = stage.clientWidth;
    if (Math.abs(width - lastWidth) < 2) return;
    lastWidth = width;
    if (state.mode !== "zoom") render().then(update);
  });

  // --- side panels --------------------------------------------------------------------------

  const panels = setupPanels({
    names: ["outline", "notes", "annotations"],
    coarse,
    focusers: {
      notes: (panel) => panel.querySelector("textarea:not([disabled])"),
      outline: (panel) =>
        panel.querySelector("button.outline-link[aria-current='true']") || panel.querySelector("button.outline-link"),
      annotations: (panel) => panel.querySelector("#annot-form:not([hidden]) textarea, #annot-find"),
    },
    onClose: (name) => {
      if (name === "notes") notes.flush();
    },
  });
  const { setPanel, openPanel } = panels;

  outline = await buildOutline({
    pdf,
    list: el("outline-list"),
    fallback: el("outline-fallback"),
    pageLabel: (page) => msg("PageLabel", { page }),
    goTo: (page) => {
      if (panels.isNarrow()) setPanel("outline", false);
      goTo(page);
    },
  });

  notes = setupNotes({
    url: data.notes,
    maxPage: Number(data.notePages) || count,
    textarea: el("note-text"),
    label: el("note-label"),
    status: el("note-status"),
    list: el("note-pages"),
    dot: el("note-dot"),
    msg,
    goTo: (page) => goTo(page),
  });

  annotations = setupAnnotations({
    root,
    panel: el("annotations"),
    version: Number(data.version),
    openPanel,
    goTo: (page) => {
      if (panels.isNarrow()) setPanel("annotations", false);
      return goTo(page);
    },
  });

  pageInput.disabled = false;
  await render();
  update();
  lastWidth = stage.clientWidth;
  resized.observe(stage);
  root.classList.add("is-ready");
}
