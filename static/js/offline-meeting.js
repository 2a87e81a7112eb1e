// The meeting page's "download for offline" control (templates/meetings/_offline.html; docs/offline.md).
// The button `[data-offline-download="<id>"]` keeps the meeting on this device; the status
// `[data-offline-state]` is "downloading", then "ready" (or "error"), with the files done out of
// the total, the bytes, and at the end the size kept. The text is a polite live region, told at
// most every UPDATE_MS while the files come in.

import { ApiError, api } from "./csrf.js";
import {
  DownloadError,
  ensureDevice,
  keepMeeting,
  registerWorker,
  requestPersistence,
} from "./offline-download.js";
import { formatBytes, getMeeting, messagesOf, supported, when } from "./offline-store.js";

const UPDATE_MS = 1500;

const button = document.querySelector("[data-offline-download]");
const card = button && button.closest("[data-offline-card]");
const box = card && card.querySelector("[data-offline-state]");
const text = card && card.querySelector("[data-offline-text]");
const bar = card && card.querySelector("progress");
const persistNote = card && card.querySelector("[data-offline-persist]");
const msg = messagesOf(card);
const meetingId = button ? Number(button.dataset.offlineDownload) : 0;
let busy = false;

function show(state, line) {
  box.dataset.offlineState = state;
  text.textContent = line;
  text.classList.toggle("is-error", state === "error");
}

function showKept(record, persisted) {
  show("ready", msg("Ready", { files: record.files.length, size: formatBytes(record.bytes), time: when(record.saved_at) }));
  persistNote.hidden = persisted !== false;
  button.textContent = msg("Again");
  bar.hidden = true;
}

let lastTold = 0;
function progress({ done, total, bytes, totalBytes }) {
  const percent = totalBytes > 0 ? Math.min(100, Math.round((100 * bytes) / totalBytes)) : total ? Math.round((100 * done) / total) : 0;
  bar.value = percent;
  bar.textContent = `${percent}%`;
  const now = Date.now();
  if (done < total && now - lastTold < UPDATE_MS && done > 0) return;
  lastTold = now;
  show(
    "downloading",
    msg("Progress", { done, total, bytes: formatBytes(bytes), total_bytes: formatBytes(totalBytes) }),
  );
}

function explain(error) {
  if (error instanceof ApiError) return error.status === 404 ? msg("NotEligible") : error.message;
  if (error instanceof DownloadError) return msg("FileFailed", { status: error.status });
  return msg("Network");
}

async function download() {
  if (busy || !supported()) return;
  busy = true;
  button.setAttribute("aria-disabled", "true");
  bar.hidden = false;
  bar.value = 0;
  lastTold = 0;
  show("downloading", msg("Starting"));
  try {
    await registerWorker();
    const persisted = await requestPersistence();
    await ensureDevice();
    const list = await api("GET", "/api/v1/offline/meetings");
    const entry = list.meetings.find((m) => m.id === meetingId);
    if (!entry) throw new ApiError(msg("NotEligible"), 404, "not_found");
    const record = await keepMeeting(entry, list.shell, progress);
    showKept(record, persisted);
  } catch (error) {
    show("error", msg("Failed", { error: explain(error) }));
    bar.hidden = true;
  } finally {
    busy = false;
    button.removeAttribute("aria-disabled");
  }
}

async function start() {
  if (!button || !box || !text || !bar || !persistNote) return;
  if (!supported()) {
    button.setAttribute("aria-disabled", "true");
    show("error", msg("Unsupported"));
    return;
  }
  button.addEventListener("click", download);
  try {
    const record = await getMeeting(meetingId);
    if (record && record.complete) showKept(record, navigator.storage && navigator.storage.persisted ? await navigator.storage.persisted() : null);
    else if (record) show("error", msg("Unfinished"));
  } catch {
    // nothing kept yet
  }
  window.addEventListener("offline-kept-changed", async () => {
    const record = await getMeeting(meetingId).catch(() => null);
    if (record && record.complete) showKept(record, null);
    else if (!busy) {
      show("", "");
      button.textContent = msg("Download");
    }
  });
}

start();
