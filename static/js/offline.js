// Offline reading, on every page (base.html; docs/offline.md). On a device that keeps nothing
// it only hooks the logout. Otherwise, as the page opens and whenever the connection returns:
// 1. says, once, that the papers were wiped (by the worker's expiry check) and why;
// 2. checks the device with the server: a wipe order (account deactivated, the secretariat's
//    "wipe this user's devices", a device the server no longer knows) deletes every cache and
//    the database; another user signed in on this device does the same;
// 3. sends the notes written offline (offline-outbox.js);
// 4. asks which meetings may be kept: those gone from the list leave the device, those whose
//    agenda or papers changed are downloaded again, and the member is told in a live region.
// Logout empties the caches and the database before the form is sent (the server adds
// Clear-Site-Data as well).

import { hasWorker, keepMeeting, savePolicy } from "./offline-download.js";
import { sendQueued } from "./offline-outbox.js";
import {
  currentUser,
  deleteMeta,
  exists,
  getMeta,
  listMeetings,
  messagesOf,
  putMeeting,
  removeMeeting,
  setMeta,
  supported,
  wipeAll,
} from "./offline-store.js";
import { api } from "./csrf.js";

const REFRESH_EVERY_MS = 5 * 60 * 1000; // the meeting list on page loads; at once on reconnect
const LOGOUT_WAIT_MS = 3000;
const REASONS = { expired: "WipedExpired", deactivated: "WipedDeactivated", ordered: "WipedOrdered", unknown: "WipedUnknown" };

const region = document.getElementById("offline-live");
const msg = messagesOf(region);

function say(text, { alarm = false } = {}) {
  if (!region || !text) return;
  const line = document.createElement("p");
  line.textContent = text;
  region.append(line);
  if (alarm) region.classList.add("is-alarm");
}

async function wipeEverything() {
  const controller = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (controller) controller.postMessage({ type: "wipe" });
  await wipeAll();
}

// --- logout ---------------------------------------------------------------------------------

function hookLogout() {
  for (const form of document.querySelectorAll('form[action="/logout"]')) {
    form.addEventListener("submit", (event) => {
      if (form.dataset.offlineCleared === "1") return;
      event.preventDefault();
      const submit = () => {
        form.dataset.offlineCleared = "1";
        form.submit();
      };
      const clearing = (async () => {
        if ((await exists()) || (await hasWorker()) || (await caches.keys()).length) {
          try {
            await sendQueued(); // notes still waiting go first, while the session lasts
          } catch {
            // offline: they are wiped with the rest
          }
          const device = await getMeta("device");
          if (device) await check(device, true).catch(() => null); // the server marks it wiped
          await wipeEverything();
        }
      })();
      const late = new Promise((resolve) => setTimeout(resolve, LOGOUT_WAIT_MS));
      Promise.race([clearing, late]).then(submit, submit);
    });
  }
}

// --- the device check, the notes, the meeting list ------------------------------------------

async function check(device, leaving = false) {
  const response = await fetch("/api/v1/offline/devices/check", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    credentials: "same-origin",
    cache: "no-store",
    body: JSON.stringify(leaving ? { key: device.key, leaving: true } : { key: device.key }),
  });
  if (!response.ok) throw new Error(String(response.status));
  return response.json();
}

async function refresh() {
  const kept = await listMeetings();
  if (!kept.length) return;
  const list = await api("GET", "/api/v1/offline/meetings");
  await savePolicy(list);
  sessionStorage.setItem("ecabinet-offline-refreshed", String(Date.now()));
  const listed = new Map(list.meetings.map((m) => [m.id, m]));
  const updated = [];
  const removed = [];
  for (const record of kept) {
    const entry = listed.get(record.id);
    if (!entry) {
      await removeMeeting(record.id);
      removed.push(record.title);
    } else if (entry.agenda_etag !== record.agenda_etag || !record.complete) {
      try {
        await keepMeeting(entry, list.shell);
        updated.push(entry.title);
      } catch {
        // the connection dropped again: what was kept stays, the next reconnect tries again
      }
    } else if (entry.keep_until !== record.keep_until || entry.state !== record.state) {
      await putMeeting({ ...record, keep_until: entry.keep_until, state: entry.state });
    }
  }
  if (updated.length) say(msg("Updated", { titles: updated.join("; ") }));
  if (removed.length) say(msg("Removed", { titles: removed.join("; ") }));
  if (updated.length || removed.length) window.dispatchEvent(new CustomEvent("offline-kept-changed"));
}

function reportNotes(sent) {
  const conflicts = sent.filter((s) => s.conflict).length;
  const fine = sent.filter((s) => !s.conflict && !s.error).length;
  if (fine) say(msg("NotesSent", { count: fine }));
  if (conflicts) say(msg("NotesConflict", { count: conflicts }));
}

async function syncOnce(reconnected) {
  if (!(await exists())) return;
  const user = currentUser();
  const wiped = await getMeta("wiped");
  if (wiped) {
    say(msg(REASONS[wiped.reason] || "WipedExpired", { hours: wiped.hours || "" }), { alarm: true });
    await deleteMeta("wiped");
  }
  if (!navigator.onLine) return;
  const device = await getMeta("device");
  if (device) {
    if (user !== null && device.user_id !== user) {
      await wipeEverything();
      say(msg("WipedUser"), { alarm: true });
      return;
    }
    let answer;
    try {
      answer = await check(device);
    } catch {
      return; // no network after all: nothing changes
    }
    if (answer.wipe) {
      await wipeEverything();
      say(msg(REASONS[answer.reason] || "WipedOrdered"), { alarm: true });
      window.dispatchEvent(new CustomEvent("offline-kept-changed"));
      return;
    }
    await setMeta("last_contact", new Date().toISOString());
    await savePolicy(answer);
    // The words of the worker's bare fallback page, in the user's language.
    await setMeta("messages", {
      lang: document.documentElement.lang || "vi",
      offlineTitle: msg("OfflineTitle"),
      offlineBody: msg("OfflineBody"),
    });
  }
  if (user === null) return;
  const sent = await sendQueued();
  if (!document.getElementById("notes")) reportNotes(sent); // the reader says it beside the note
  if (!device) return;
  const last = Number(sessionStorage.getItem("ecabinet-offline-refreshed") || 0);
  if (reconnected || Date.now() - last > REFRESH_EVERY_MS) await refresh();
}

let running = null;

function sync(reconnected = false) {
  if (running) return running;
  const work = async () => {
    try {
      await syncOnce(reconnected);
    } catch (error) {
      console.warn("offline sync", error); // never an error box: the app works online as before
    }
  };
  const locked =
    navigator.locks && navigator.locks.request
      ? navigator.locks.request("ecabinet-offline-sync", { ifAvailable: true }, (lock) => (lock ? work() : null))
      : work();
  running = Promise.resolve(locked).finally(() => {
    running = null;
    // For tests and the bench: how many syncs have finished in this page.
    const root = document.documentElement;
    root.dataset.offlineSyncs = String(Number(root.dataset.offlineSyncs || 0) + 1);
  });
  return running;
}

// --- start ----------------------------------------------------------------------------------

hookLogout();
if (supported()) {
  sync(false);
  window.addEventListener("online", () => sync(true));
}
if (document.querySelector("[data-offline-download]")) import("./offline-meeting.js");

export { sync };
