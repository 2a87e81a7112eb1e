// eCabinet's service worker (docs/offline.md), served at /sw.js with scope "/". A classic
// script with no imports, so every browser that runs service workers runs it.
//
// Caches (written by the pages, static/js/offline-download.js; read here):
// - "shell-v1": the app's static files (css, js, pdf.js) and the /offline page;
// - "meeting-<id>": one kept meeting: its page, its agenda's reader pages, the member's own
//   watermarked copy of each paper (whole 200 responses), the briefing book, the notes.
// IndexedDB "ecabinet-offline" (static/js/offline-store.js has the same schema) holds the
// device, the last contact with the server, the policy and each kept meeting's keep_until.
//
// What the worker answers (everything else goes to the network untouched):
// - navigations: network first; after NAV_TIMEOUT_MS, or when the network fails, the cached
//   page; with no cached page, the cached /offline page, which says what is kept;
// - paper files: cache first; a Range request is answered 206 with a slice of the cached whole
//   file (pdf.js reads by ranges);
// - versioned static files and pdf.js: cache first; notes, the book and other static files:
//   network first, the cache when the network fails.
// Before anything is served from a meeting cache, the expiry is checked: past expiry_hours
// since the last contact, the meeting caches, the kept list and the queued notes are deleted
// and a "wiped" record says why (the page shows it). Meetings past keep_until are purged.
"use strict";

const SHELL = "shell-v1";
const MEETING = "meeting-";
const DB_NAME = "ecabinet-offline";
const DB_VERSION = 1;
const NAV_TIMEOUT_MS = 4000;
const GUARD_EVERY_MS = 30000;
const HOUR_MS = 3600 * 1000;
const DEFAULT_EXPIRY_HOURS = 72;
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
  "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; " +
  "form-action 'self'; frame-ancestors 'none'";

const PAPER = /^\/api\/v1\/documents\/\d+\/versions\/\d+\/file$/;
const NOTES = /^\/api\/v1\/documents\/\d+\/(notes|annotations)$/; // the notes, and the annotations
const BOOK = /^\/api\/v1\/meetings\/\d+\/book\.pdf$/;

// --- IndexedDB (the same schema as static/js/offline-store.js) --------------------------------

function upgrade(db) {
  if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
  if (!db.objectStoreNames.contains("meetings")) db.createObjectStore("meetings", { keyPath: "id" });
  if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "key" });
}

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => upgrade(request.result);
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => db.close(); // a wipe deletes the database: never block it
      resolve(db);
    };
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("blocked"));
  });
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withDb(work) {
  const db = await openDb();
  try {
    return await work(db);
  } finally {
    db.close();
  }
}

const read = (db, store, key) => done(db.transaction(store).objectStore(store).get(key));
const readAll = (db, store) => done(db.transaction(store).objectStore(store).getAll());

// --- expiry and purge ---------------------------------------------------------------------------

let lastGuard = 0;

async function meetingCaches() {
  return (await caches.keys()).filter((name) => name.startsWith(MEETING));
}

// Delete every kept meeting and queued note; record why, for the page to say.
async function wipeMeetings(reason, hours) {
  const names = await meetingCaches();
  let kept = 0;
  await withDb(async (db) => {
    kept = (await readAll(db, "meetings")).length + (await readAll(db, "outbox")).length;
  });
  if (!names.length && !kept) return false;
  await Promise.all(names.map((name) => caches.delete(name)));
  await withDb((db) => {
    const tx = db.transaction(["meetings", "outbox", "meta"], "readwrite");
    tx.objectStore("meetings").clear();
    tx.objectStore("outbox").clear();
    tx.objectStore("meta").put({ reason, hours, at: new Date().toISOString() }, "wiped");
    return new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  });
  return true;
}

// The expiry check, then the purge of meetings past keep_until. Runs before anything is served
// from a meeting cache: on every navigation, and at most every GUARD_EVERY_MS for files.
async function guard(always) {
  const now = Date.now();
  if (!always && now - lastGuard < GUARD_EVERY_MS) return;
  lastGuard = now;
  let state;
  try {
    state = await withDb(async (db) => ({
      device: await read(db, "meta", "device"),
      last: await read(db, "meta", "last_contact"),
      policy: (await read(db, "meta", "policy")) || {},
      meetings: await readAll(db, "meetings"),
    }));
  } catch (error) {
    return; // no IndexedDB (a private window): nothing was kept either
  }
  const hours = Number(state.policy.expiry_hours) || DEFAULT_EXPIRY_HOURS;
  const last = Date.parse(state.last || "");
  if (state.device && Number.isFinite(last) && now - last > hours * HOUR_MS) {
    await wipeMeetings("expired", hours);
    return;
  }
  const past = state.meetings.filter((m) => m.keep_until && Date.parse(m.keep_until) < now);
  for (const meeting of past) {
    await caches.delete(MEETING + meeting.id);
    await withDb((db) => done(db.transaction("meetings", "readwrite").objectStore("meetings").delete(meeting.id)));
  }
}

// --- answers ------------------------------------------------------------------------------------

async function cached(url) {
  for (const name of await meetingCaches()) {
    const found = await (await caches.open(name)).match(url, { ignoreVary: true });
    if (found) return found;
  }
  const shell = await caches.open(SHELL);
  return shell.match(url, { ignoreVary: true });
}

function timeout(ms) {
  let timer;
  const promise = new Promise((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

// The network's answer within `ms`, else (or when it fails or the server errs) the cached one;
// with nothing cached, the network's answer however long it takes, else `fallback()`.
// Navigations check the expiry first, whatever answers: a device past it is wiped as the app opens.
async function networkFirst(request, ms, fallback, guarding = null, fresh = null) {
  const network = fetch(request);
  network.catch(() => {}); // handled below; never an unhandled rejection
  const timer = timeout(ms);
  let first = null;
  try {
    first = await Promise.race([network, timer.promise]);
  } catch (error) {
    first = null; // offline
  } finally {
    timer.cancel();
  }
  if (guarding) await guarding;
  if (first && first !== "timeout" && first.status < 500) {
    if (fresh && first.status === 200) fresh(first.clone());
    return first;
  }
  if (!guarding) await guard(false);
  const kept = await cached(request.url);
  if (kept) return request.method === "HEAD" ? headOnly(kept) : kept;
  if (first && first !== "timeout") return first;
  try {
    return await network;
  } catch (error) {
    return fallback();
  }
}

function headOnly(response) {
  return new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers });
}

async function offlinePage() {
  const shell = await caches.open(SHELL);
  const page = await shell.match("/offline", { ignoreVary: true });
  if (page) return page;
  // Never kept anything on this device: a bare page in the stored language.
  const messages = (await withDb((db) => read(db, "meta", "messages")).catch(() => null)) || {};
  const title = messages.offlineTitle || "Không có kết nối mạng";
  const body = messages.offlineBody || "Trang này chưa được lưu trên thiết bị. Hãy kết nối mạng rồi thử lại.";
  const html =
    `<!doctype html><html lang="${messages.lang || "vi"}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title></head>` +
    `<body><main><h1>${escape(title)}</h1><p>${escape(body)}</p><p><a href="/">eCabinet</a></p></main></body></html>`;
  return new Response(html, {
    status: 503,
    headers: { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP, "Cache-Control": "no-store" },
  });
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function navigate(event) {
  const guarding = guard(true).catch(() => {});
  return networkFirst(event.request, NAV_TIMEOUT_MS, offlinePage, guarding);
}

// `bytes=a-b`, `bytes=a-`, `bytes=-n` of a file of `size` bytes: [start, end] inclusive, null to
// send the whole file (a header we ignore, as the server does), or "unsatisfiable".
function parseRange(header, size) {
  const found = /^bytes=(\d*)-(\d*)$/.exec(String(header).replace(/\s+/g, ""));
  if (!found || (!found[1] && !found[2])) return null;
  if (!found[1]) {
    const suffix = Number(found[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(found[1]);
  const end = found[2] ? Number(found[2]) : size - 1;
  if (found[2] && end < start) return null;
  if (start >= size) return "unsatisfiable";
  return [start, Math.min(end, size - 1)];
}

// A paper file from the cache: whole (200) or one range (206), sliced from the cached 200.
async function paperFile(request) {
  await guard(false);
  const kept = await cached(request.url);
  if (!kept) return fetch(request);
  const blob = await kept.blob();
  const type = kept.headers.get("Content-Type") || "application/pdf";
  const headers = {
    "Content-Type": type,
    "Accept-Ranges": "bytes",
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
  };
  const disposition = kept.headers.get("Content-Disposition");
  if (disposition) headers["Content-Disposition"] = disposition;
  const range = request.headers.get("Range");
  const chosen = range ? parseRange(range, blob.size) : null;
  if (chosen === "unsatisfiable") {
    return new Response(null, { status: 416, headers: { ...headers, "Content-Range": `bytes */${blob.size}` } });
  }
  if (chosen === null || request.method === "HEAD") {
    if (request.method !== "HEAD") countOpen(request.url);
    return new Response(request.method === "HEAD" ? null : blob, {
      status: 200,
      headers: { ...headers, "Content-Length": String(blob.size) },
    });
  }
  const [start, end] = chosen;
  if (start === 0) countOpen(request.url);
  return new Response(blob.slice(start, end + 1), {
    status: 206,
    headers: {
      ...headers,
      "Content-Length": String(end - start + 1),
      "Content-Range": `bytes ${start}-${end}/${blob.size}`,
    },
  });
}

// Opening a kept paper while online still counts as an open (docs/papers.md "read receipts"):
// one byte from byte 0, which the file route counts; offline it fails quietly.
const counted = new Map(); // url -> time: pdf.js's whole-file ask and first range are one open
function countOpen(url) {
  const now = Date.now();
  if (now - (counted.get(url) || 0) < 60000) return;
  counted.set(url, now);
  fetch(url, { headers: { Range: "bytes=0-0" }, credentials: "same-origin", cache: "no-store" })
    .then((response) => response.body && response.body.cancel())
    .catch(() => {});
}

// `response` in place of the kept copy of `url`, in the meeting cache that holds it (if any).
async function replaceKept(url, response) {
  for (const name of await meetingCaches()) {
    const cache = await caches.open(name);
    if (await cache.match(url, { ignoreVary: true })) {
      const body = await response.blob();
      const headers = new Headers({ "Content-Type": response.headers.get("Content-Type") || "application/json" });
      headers.set("Content-Length", String(body.size));
      await cache.put(url, new Response(body, { status: 200, headers }));
      return;
    }
  }
}

async function cacheFirst(request) {
  const kept = await caches.match(request, { ignoreVary: true });
  return kept || fetch(request);
}

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const stale = (await caches.keys()).filter((name) => name.startsWith("shell-") && name !== SHELL);
      await Promise.all(stale.map((name) => caches.delete(name)));
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" && request.method !== "HEAD") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.headers.get("X-Offline-Download")) return; // the download itself: the network
  const path = url.pathname;
  if (path === "/sw.js") return;
  if (request.mode === "navigate") {
    if (request.method === "GET") event.respondWith(navigate(event));
    return;
  }
  if (PAPER.test(path)) {
    event.respondWith(paperFile(request));
  } else if ((path.startsWith("/static/") && url.searchParams.has("v")) || path.startsWith("/vendor/")) {
    event.respondWith(cacheFirst(request));
  } else if (NOTES.test(path) && request.method === "GET") {
    // The notes as the server has them now replace the kept copy: offline shows the latest.
    const fresh = (response) => event.waitUntil(replaceKept(request.url, response));
    event.respondWith(networkFirst(request, NAV_TIMEOUT_MS, () => Response.error(), null, fresh));
  } else if (path.startsWith("/static/") || BOOK.test(path)) {
    event.respondWith(networkFirst(request, NAV_TIMEOUT_MS, () => Response.error()));
  }
});

// The page asks for a wipe (logout): every cache goes; the page deletes the database itself.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "wipe") return;
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.map((name) => caches.delete(name)));
      if (event.ports && event.ports[0]) event.ports[0].postMessage({ wiped: names.length });
    })(),
  );
});
