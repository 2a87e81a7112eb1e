// The reader's private notes: one note per page, only ever the reader's own
// (GET/PUT/DELETE /api/v1/documents/{id}/notes). The textarea saves itself a moment after
// typing stops, when it loses focus, when the page turns and when the tab is left; blank
// text deletes the note. A list shows the pages that have notes.

import { api, csrfToken } from "./csrf.js";

const DEBOUNCE_MS = 800;
// Times are shown in Vietnam time whatever the device's own zone (docs/reader.md).
const TIME_ZONE = "Asia/Ho_Chi_Minh";

export function setupNotes({ url, maxPage, textarea, label, status, list, dot, msg, goTo }) {
  const notes = new Map(); // page -> text
  let page = 1;
  let timer = null;
  let pending = null; // { page, text } typed but not sent
  let chain = Promise.resolve();
  let loaded = false;

  function say(text, isError = false) {
    status.textContent = text;
    status.classList.toggle("is-error", isError);
  }

  function time() {
    return new Date().toLocaleTimeString(document.documentElement.lang || "vi", {
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone: TIME_ZONE,
    });
  }

  function renderList() {
    list.replaceChildren();
    const pages = [...notes.keys()].sort((a, b) => a - b);
    if (!pages.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = msg("NoNotes");
      list.append(li);
    }
    for (const p of pages) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "note-link";
      if (p === page) button.setAttribute("aria-current", "true");
      const name = document.createElement("strong");
      name.textContent = msg("PageLabel", { page: p });
      const excerpt = document.createElement("span");
      excerpt.className = "note-excerpt";
      excerpt.textContent = notes.get(p).slice(0, 80);
      button.append(name, excerpt);
      button.addEventListener("click", () => goTo(p));
      li.append(button);
      list.append(li);
    }
    dot.hidden = !notes.has(page);
  }

  function send(p, text) {
    say(msg("Saving"));
    chain = chain
      .then(() => api("PUT", `${url}/${p}`, { text }))
      .then((saved) => {
        if (saved && saved.text) notes.set(p, saved.text);
        else notes.delete(p);
        if (!pending || pending.page !== p) say(saved && saved.text ? msg("Saved", { time: time() }) : msg("Deleted"));
        renderList();
      })
      .catch((error) => {
        if (!pending) pending = { page: p, text };
        say(msg("SaveFailed", { error: error.message }), true);
      });
    return chain;
  }

  function flush() {
    window.clearTimeout(timer);
    timer = null;
    if (!pending) return chain;
    const { page: p, text } = pending;
    pending = null;
    return send(p, text);
  }

  textarea.addEventListener("input", () => {
    pending = { page, text: textarea.value };
    say(msg("Typing"));
    window.clearTimeout(timer);
    timer = window.setTimeout(flush, DEBOUNCE_MS);
  });
  textarea.addEventListener("blur", () => flush());

  // Leaving the page: send what is left with keepalive, so it survives the unload.
  window.addEventListener("pagehide", () => {
    window.clearTimeout(timer);
    if (!pending) return;
    const { page: p, text } = pending;
    pending = null;
    fetch(`${url}/${p}`, {
      method: "PUT",
      keepalive: true,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken(), Accept: "application/json" },
      body: JSON.stringify({ text }),
    }).catch(() => {});
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flush();
  });

  // Show the note of `newPage`. The same page again (a zoom, a resize) leaves the text alone.
  function show(newPage, force = false) {
    if (newPage === page && !force) return;
    flush();
    page = newPage;
    label.textContent = msg("PageLabel", { page });
    const beyond = page > maxPage;
    textarea.disabled = !loaded || beyond;
    textarea.value = notes.get(page) || "";
    if (beyond) say(msg("NoteBeyond", { pages: maxPage }), true);
    else if (!pending) say("");
    renderList();
  }

  api("GET", url)
    .then((found) => {
      for (const item of found.items || []) notes.set(item.page, item.text);
      loaded = true;
      show(page, true);
    })
    .catch((error) => say(msg("SaveFailed", { error: error.message }), true));

  return { show, flush };
}
