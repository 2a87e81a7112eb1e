// The reader's private notes: one note per page, only ever the reader's own
// (GET/PUT/DELETE /api/v1/documents/{id}/notes). The textarea saves itself a moment after
// typing stops, when it loses focus, when the page turns and when the tab is left; blank
// text deletes the note. A list shows the pages that have notes.
//
// With no connection (docs/offline.md "Notes offline"), a note waits in the device's outbox
// (offline-outbox.js) with the updated_at it started from, and is shown as waiting; offline.js
// sends it when the connection returns, and a conflict (the note changed elsewhere meanwhile)
// comes back with both texts kept, which is said here.

import { api, csrfToken } from "./csrf.js";
import { SENT_EVENT, isNetworkFailure, queueNote, queuedFor } from "./offline-outbox.js";

const DEBOUNCE_MS = 800;
// Times are shown in Vietnam time whatever the device's own zone (docs/reader.md).
const TIME_ZONE = "Asia/Ho_Chi_Minh";

export function setupNotes({ url, maxPage, textarea, label, status, list, dot, msg, goTo }) {
  const notes = new Map(); // page -> text
  const updated = new Map(); // page -> updated_at of the note as the server last gave it
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

  function keep(p, saved) {
    if (saved && saved.text) notes.set(p, saved.text);
    else notes.delete(p);
    updated.set(p, saved ? saved.updated_at : null);
  }

  // No network: the note waits on the device, and shows as written.
  async function queue(p, text) {
    await queueNote(url, p, text, updated.has(p) ? updated.get(p) : null);
    if (text.trim()) notes.set(p, text);
    else notes.delete(p);
    if (!pending || pending.page !== p) say(msg("Queued"));
    renderList();
  }

  function send(p, text) {
    say(msg("Saving"));
    chain = chain
      .then(() => (navigator.onLine ? api("PUT", `${url}/${p}`, { text }) : Promise.reject(new TypeError("offline"))))
      .then((saved) => {
        keep(p, saved);
        if (!pending || pending.page !== p) say(saved && saved.text ? msg("Saved", { time: time() }) : msg("Deleted"));
        renderList();
      })
      .catch((error) => {
        if (isNetworkFailure(error)) return queue(p, text).catch(() => failed(p, text, error));
        return failed(p, text, error);
      });
    return chain;
  }

  function failed(p, text, error) {
    if (!pending) pending = { page: p, text };
    say(msg("SaveFailed", { error: error.message }), true);
  }

  // The notes offline.js sent when the connection came back.
  window.addEventListener(SENT_EVENT, (event) => {
    for (const result of event.detail || []) {
      if (result.url !== url) continue;
      if (result.error) {
        say(msg("SaveFailed", { error: result.error }), true);
        continue;
      }
      keep(result.page, result);
      if (result.page === page && (!pending || pending.page !== page)) textarea.value = notes.get(page) || "";
      if (result.conflict) say(msg("Conflict", { page: result.page }), true);
      else say(msg("SentOffline", { page: result.page, time: time() }));
    }
    renderList();
  });

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
    if (!navigator.onLine) {
      queue(p, text).catch(() => {});
      return;
    }
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
    .then(async (found) => {
      for (const item of found.items || []) {
        notes.set(item.page, item.text);
        updated.set(item.page, item.updated_at);
      }
      // Notes written offline and not sent yet override what the server (or the cache) gave.
      const waiting = await queuedFor(url).catch(() => []);
      for (const item of waiting) {
        if (item.text.trim()) notes.set(item.page, item.text);
        else notes.delete(item.page);
      }
      loaded = true;
      show(page, true);
      if (waiting.length) say(msg("Waiting", { count: waiting.length }));
    })
    .catch((error) => say(msg("SaveFailed", { error: error.message }), true));

  return { show, flush };
}
