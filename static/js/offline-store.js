// What this device keeps for offline reading (docs/offline.md): IndexedDB "ecabinet-offline"
// and the Cache Storage. static/sw.js reads the same database (same schema, kept in step).
//
// Stores:
// - "meta" (key -> value): "device" {device_id, key, user_id}, "last_contact" (ISO time of the
//   last answer of the device check), "policy" {expiry_hours, purge_days}, "wiped" {reason,
//   hours, at} (set by a wipe, cleared once the page has said it), "messages" (the offline
//   page's words in the user's language, for the worker);
// - "meetings" (by id): one kept meeting {id, title, starts_at, state, keep_until, agenda_etag,
//   bytes, files: [url], complete, saved_at, user_id};
// - "outbox" (by key "<notes url>/<page>"): notes written offline, waiting to be sent.

export const DB_NAME = "ecabinet-offline";
const DB_VERSION = 1;
export const SHELL_CACHE = "shell-v1";
export const MEETING_CACHE = "meeting-";

export function supported() {
  return "serviceWorker" in navigator && "caches" in window && "indexedDB" in window && window.isSecureContext;
}

function upgrade(db) {
  if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
  if (!db.objectStoreNames.contains("meetings")) db.createObjectStore("meetings", { keyPath: "id" });
  if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "key" });
}

let opening = null;

function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => upgrade(request.result);
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => {
          db.close(); // never block a wipe (deleteDatabase) from another tab or the worker
          opening = null;
        };
        resolve(db);
      };
      request.onerror = () => {
        opening = null;
        reject(request.error);
      };
    });
  }
  return opening;
}

// Whether the database exists, without making it (a browser that kept nothing stays clean).
export async function exists() {
  if (!("indexedDB" in window)) return false;
  if (typeof indexedDB.databases !== "function") return true;
  try {
    return (await indexedDB.databases()).some((db) => db.name === DB_NAME);
  } catch {
    return true;
  }
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function store(name, mode = "readonly") {
  return (await openDb()).transaction(name, mode).objectStore(name);
}

// A read never makes the database: after a wipe, a page that looks for what is kept finds
// nothing and leaves nothing behind.
async function read(name, op, missing) {
  if (!opening && !(await exists())) return missing;
  return done(op(await store(name)));
}

export const getMeta = async (key) => read("meta", (s) => s.get(key), undefined);
export const setMeta = async (key, value) => done((await store("meta", "readwrite")).put(value, key));
export const deleteMeta = async (key) => done((await store("meta", "readwrite")).delete(key));
export const getMeeting = async (id) => read("meetings", (s) => s.get(id), undefined);
export const putMeeting = async (record) => done((await store("meetings", "readwrite")).put(record));
export const listMeetings = async () => read("meetings", (s) => s.getAll(), []);
export const deleteMeetingRecord = async (id) => done((await store("meetings", "readwrite")).delete(id));
export const outbox = async () => read("outbox", (s) => s.getAll(), []);
export const getQueued = async (key) => read("outbox", (s) => s.get(key), undefined);
export const putQueued = async (item) => done((await store("outbox", "readwrite")).put(item));
export const deleteQueued = async (key) => done((await store("outbox", "readwrite")).delete(key));

export async function removeMeeting(id) {
  await caches.delete(MEETING_CACHE + id);
  await deleteMeetingRecord(id);
}

// Everything this app keeps on the device: every cache and the database. Used on logout, on a
// remote wipe, and when another user signs in on the device.
export async function wipeAll() {
  const names = await caches.keys();
  await Promise.all(names.map((name) => caches.delete(name)));
  if (opening) {
    try {
      (await opening).close();
    } catch {
      // it never opened
    }
    opening = null;
  }
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(DB_NAME);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

// The size of what is kept: the sum of the kept meetings' bytes (each measured as it was
// cached) and the browser's own estimate of the origin's storage.
export async function usage() {
  const meetings = await listMeetings();
  const kept = meetings.reduce((sum, m) => sum + (m.bytes || 0), 0);
  let estimate = null;
  if (navigator.storage && navigator.storage.estimate) {
    try {
      estimate = await navigator.storage.estimate();
    } catch {
      estimate = null;
    }
  }
  let persisted = null;
  if (navigator.storage && navigator.storage.persisted) {
    try {
      persisted = await navigator.storage.persisted();
    } catch {
      persisted = null;
    }
  }
  return { meetings, kept, estimate, persisted };
}

// "12,3 MB" in the page's language.
// A time as the app shows every time: Vietnam's, whatever the device's zone.
export function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(document.documentElement.lang || "vi", {
    hour: "2-digit",
    minute: "2-digit",
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hourCycle: "h23",
    timeZone: "Asia/Ho_Chi_Minh",
  });
}

export function formatBytes(bytes, lang = document.documentElement.lang || "vi") {
  const units = ["B", "KB", "MB", "GB"];
  let value = Number(bytes) || 0;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toLocaleString(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${units[unit]}`;
}

export function format(template, params = {}) {
  return (template || "").replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));
}

// The messages of an element's data-msg-* attributes: msg("Ready", {size}) reads data-msg-ready.
export function messagesOf(element) {
  return (name, params = {}) => format(element ? element.dataset["msg" + name] : "", params);
}

// The signed-in user's id from <meta name="ecabinet-user">, or null on an anonymous page.
export function currentUser() {
  const meta = document.querySelector('meta[name="ecabinet-user"]');
  return meta && meta.content ? Number(meta.content) : null;
}
