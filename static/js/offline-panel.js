// The /offline page (templates/offline/index.html; docs/offline.md): the meetings this device
// keeps, the space they take (their measured size and the browser's own estimate), whether
// the storage is persistent, the last contact with the server, and "remove" per meeting.
// Served by the worker in place of a page that is not kept, it says so first.

import {
  exists,
  formatBytes,
  getMeta,
  messagesOf,
  removeMeeting,
  supported,
  usage,
  when,
} from "./offline-store.js";

const root = document.getElementById("offline-panel");
const msg = messagesOf(root);
const el = (id) => document.getElementById(id);

function line(className, text) {
  const p = document.createElement("p");
  p.className = className;
  p.textContent = text;
  return p;
}

function entry(record) {
  const li = document.createElement("li");
  li.className = "offline-entry";
  li.dataset.offlineMeeting = String(record.id);
  const main = document.createElement("div");
  main.className = "offline-entry-main";
  const link = document.createElement("a");
  link.href = `/meetings/${record.id}`;
  link.className = "offline-entry-title";
  link.textContent = record.title;
  main.append(link);
  const facts = [msg("Files", { files: record.files.length, size: formatBytes(record.bytes) })];
  if (record.starts_at) facts.push(msg("Starts", { time: when(record.starts_at) }));
  facts.push(msg("Saved", { time: when(record.saved_at) }));
  if (record.keep_until) facts.push(msg("KeepUntil", { time: when(record.keep_until) }));
  if (!record.complete) facts.push(msg("Unfinished"));
  main.append(line("offline-entry-facts muted", facts.join(" · ")));
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn offline-remove";
  button.dataset.action = "offline-remove";
  // The visible words first, then (for screen readers) which meeting.
  const which = document.createElement("span");
  which.className = "sr-only";
  which.textContent = `: ${record.title}`;
  button.append(msg("Remove"), which);
  button.addEventListener("click", async () => {
    await removeMeeting(record.id);
    el("offline-announce").textContent = msg("Removed", { title: record.title });
    await render();
    el("h-kept").focus();
  });
  li.append(main, button);
  return li;
}

async function render() {
  const found = await exists();
  const { meetings, kept, estimate, persisted } = found
    ? await usage()
    : { meetings: [], kept: 0, estimate: null, persisted: null };
  meetings.sort((a, b) => String(a.starts_at).localeCompare(String(b.starts_at)));
  el("offline-list").replaceChildren(...meetings.map(entry));
  el("offline-list").hidden = !meetings.length;
  el("offline-empty").hidden = meetings.length > 0;
  el("offline-total").textContent = msg("Total", { size: formatBytes(kept) });
  el("offline-estimate").textContent =
    estimate && estimate.quota
      ? msg("Estimate", { used: formatBytes(estimate.usage || 0), quota: formatBytes(estimate.quota) })
      : "";
  el("offline-persisted").textContent = persisted === null ? "" : persisted ? msg("Persisted") : msg("NotPersisted");
  const last = found ? await getMeta("last_contact") : null;
  const policy = (found ? await getMeta("policy") : null) || {};
  el("offline-contact").textContent = last
    ? msg("Contact", { time: when(last), hours: policy.expiry_hours || 72 })
    : "";
  root.dataset.offlineCount = String(meetings.length);
}

if (root) {
  el("h-kept").tabIndex = -1;
  if (window.location.pathname !== "/offline") {
    el("offline-not-kept").textContent = msg("NotKept");
    el("offline-not-kept").hidden = false;
  }
  if (!supported()) {
    el("offline-empty").textContent = msg("Unsupported");
    el("offline-empty").hidden = false;
  } else {
    render().then(() => {
      root.dataset.ready = "1";
    });
    window.addEventListener("offline-kept-changed", () => render());
  }
}
