// Keeping a meeting on this device for offline reading (docs/offline.md): the service worker,
// the device's registration, and the download of a meeting's files into its cache.
//
// Every file is fetched whole, with `X-Offline-Download: 1` (the service worker lets these
// through to the network, and the file route counts no read receipt for them), and its 200
// answer is cached: the Cache API refuses 206 answers, and the worker cuts ranges from the whole.

import { api } from "./csrf.js";
import {
  MEETING_CACHE,
  SHELL_CACHE,
  currentUser,
  getMeta,
  putMeeting,
  setMeta,
} from "./offline-store.js";

const PARALLEL = 3;
const RETRY_LIMIT_MS = 180000; // a book or a copy still being built: ask again for up to 3 min

export class DownloadError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export async function registerWorker() {
  const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  await navigator.serviceWorker.ready;
  return registration;
}

// Whether a worker is already registered for this app (a device that kept something).
export async function hasWorker() {
  if (!("serviceWorker" in navigator)) return false;
  try {
    return Boolean(await navigator.serviceWorker.getRegistration("/"));
  } catch {
    return false;
  }
}

export async function requestPersistence() {
  if (!navigator.storage || !navigator.storage.persist) return null;
  try {
    if (await navigator.storage.persisted()) return true;
    return await navigator.storage.persist();
  } catch {
    return null;
  }
}

function deviceLabel() {
  const ua = navigator.userAgent;
  const platform = /iPad/.test(ua)
    ? "iPad"
    : /Android/.test(ua)
      ? "Android"
      : (navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || "";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Chrom(e|ium)\//.test(ua)
      ? "Chromium"
      : /Firefox\//.test(ua)
        ? "Firefox"
        : /Safari\//.test(ua)
          ? "Safari"
          : "";
  return [platform, browser].filter(Boolean).join(" · ").slice(0, 80);
}

export function savePolicy(answer) {
  return setMeta("policy", { expiry_hours: answer.expiry_hours, purge_days: answer.purge_days });
}

// This browser as an offline device of the signed-in user (registered once per user).
export async function ensureDevice() {
  const user = currentUser();
  const device = await getMeta("device");
  if (device && device.user_id === user) return device;
  const answer = await api("POST", "/api/v1/offline/devices", { label: deviceLabel() });
  const fresh = { device_id: answer.device_id, key: answer.key, user_id: user };
  await setMeta("device", fresh);
  await setMeta("last_contact", new Date().toISOString());
  await savePolicy(answer);
  return fresh;
}

function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// One file, whole, as a cacheable 200 response; waits while the server builds it (202, 503).
export async function fetchWhole(url) {
  const started = Date.now();
  for (;;) {
    const response = await fetch(url, {
      headers: { "X-Offline-Download": "1", "Accept-Language": document.documentElement.lang || "vi" },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (response.status === 200 && !response.redirected) {
      const blob = await response.blob();
      const headers = new Headers();
      for (const name of ["Content-Type", "Content-Disposition", "ETag", "Last-Modified"]) {
        const value = response.headers.get(name);
        if (value) headers.set(name, value);
      }
      headers.set("Content-Length", String(blob.size));
      headers.set("X-Offline-Saved", new Date().toISOString());
      return { response: new Response(blob, { status: 200, headers }), size: blob.size };
    }
    if ((response.status === 202 || response.status === 503) && Date.now() - started < RETRY_LIMIT_MS) {
      const after = Number(response.headers.get("Retry-After") || "2");
      await response.body?.cancel();
      await wait(Math.min(Math.max(Number.isFinite(after) ? after : 2, 1), 10) * 1000);
      continue;
    }
    throw new DownloadError(url, response.redirected ? 401 : response.status);
  }
}

// The app's static files, and the /offline page (shown for any page not kept). Versioned files
// never change, so they are fetched once; the others each time.
export async function keepShell(shell) {
  const cache = await caches.open(SHELL_CACHE);
  const urls = [...new Set([...(shell || []), "/offline"])];
  await Promise.all(
    urls.map(async (url) => {
      const versioned = /[?&]v=/.test(url) || url.startsWith("/vendor/");
      if (versioned && (await cache.match(url))) return;
      try {
        const { response } = await fetchWhole(url);
        await cache.put(url, response);
      } catch {
        // a missing optional file (a font pdf.js may never need) does not stop the download
      }
    }),
  );
}

// The files of one meeting, as the offline list gives them, plus the book's own page.
function filesOf(entry) {
  const files = entry.files.map((file) => ({ url: file.url, bytes: file.bytes || 0, kind: file.kind }));
  if (files.some((file) => file.kind === "book")) {
    files.push({ url: `/meetings/${entry.id}/book`, bytes: 0, kind: "book-page" });
  }
  return files;
}

// Keep `entry` (one meeting of GET /api/v1/offline/meetings) in its cache. `progress` is told
// {done, total, bytes, totalBytes} after each file. What was cached before and is no longer
// listed (an older version) is deleted once every new file is in.
export async function keepMeeting(entry, shell, progress = () => {}) {
  await keepShell(shell);
  const cache = await caches.open(MEETING_CACHE + entry.id);
  const files = filesOf(entry);
  const listed = files.reduce((sum, file) => sum + file.bytes, 0);
  const state = { done: 0, total: files.length, bytes: 0, totalBytes: Math.max(entry.bytes || 0, listed) };
  progress({ ...state });
  const queue = [...files];
  let failure = null;

  async function worker() {
    while (queue.length && !failure) {
      const file = queue.shift();
      try {
        const { response, size } = await fetchWhole(file.url);
        await cache.put(file.url, response);
        state.done += 1;
        state.bytes += size;
        state.totalBytes = Math.max(state.totalBytes, state.bytes);
        progress({ ...state });
      } catch (error) {
        failure = error;
      }
    }
  }

  await Promise.all(Array.from({ length: Math.min(PARALLEL, files.length) }, worker));
  const record = {
    id: entry.id,
    title: entry.title,
    starts_at: entry.starts_at,
    state: entry.state,
    keep_until: entry.keep_until,
    agenda_etag: failure ? null : entry.agenda_etag,
    bytes: state.bytes,
    files: files.map((file) => file.url),
    complete: !failure,
    saved_at: new Date().toISOString(),
    user_id: currentUser(),
  };
  if (!failure) {
    const wanted = new Set(record.files);
    for (const request of await cache.keys()) {
      const url = new URL(request.url);
      if (!wanted.has(url.pathname + url.search)) await cache.delete(request);
    }
    let bytes = 0;
    for (const request of await cache.keys()) {
      const found = await cache.match(request);
      bytes += Number(found.headers.get("Content-Length") || 0);
    }
    record.bytes = bytes;
  }
  await putMeeting(record);
  if (failure) throw failure;
  return record;
}
