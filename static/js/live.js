// The live feed client shared by the console, the tablet and the room display (docs/live.md).
//
// connect() opens /ws/meetings/{id}, keeps `seq` and `epoch`, and holds a local copy of the
// session's state: the snapshot, then every event applied by the same rules as the server's
// agenda/live_state.py (APPLY below mirrors it kind by kind). It resumes with `since` after a
// drop, a gap in seq or a silent socket, with exponential backoff and jitter; an event kind it
// cannot apply makes it ask for a fresh snapshot. A status line (#live-status) says when the
// screen is not live. api() sends commands to the JSON API with the CSRF token.

import { csrfToken } from "./csrf.js";

const BACKOFF_FIRST = 500; // ms
const BACKOFF_MAX = 15000;
const JITTER = 0.3; // +-30%
const SILENCE = 40000; // no frame (not even a heartbeat) for this long: the socket is dead
const BANNER_DELAY = 1500; // a planned reconnect shows the banner only if it takes longer
// WebSocket close codes: meeting_app/close_codes.py names them all (docs/live.md).
const CLOSE_REFUSED = 4403;
const CLOSE_LOGGED_OUT = 4401; // the login session ended
const CLOSE_RESTART = 1012;
const CLOSE_SILENT = 4000; // ours: the socket went quiet, or we reconnect on purpose

export function format(template, params = {}) {
  return (template || "").replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));
}

// --- commands ------------------------------------------------------------------------------

export class LiveError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// One JSON call under /api/v1 (`path` may include the prefix). Returns the parsed body, or
// throws a LiveError {status, code, message}; a network failure has status 0, code "network".
export async function api(method, path, body, extraHeaders = {}) {
  const url = path.startsWith("/api/") ? path : "/api/v1" + path;
  const headers = {
    Accept: "application/json",
    "Accept-Language": document.documentElement.lang || "vi",
    ...extraHeaders,
  };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined && body !== null) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new LiveError(0, "network", String((error && error.message) || error));
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new LiveError(response.status, error.code || "http_" + response.status, error.message || response.statusText);
  }
  return data;
}

// A v4 UUID for Idempotency-Key; crypto.randomUUID needs a secure context, so fall back.
export function newKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// --- applying events: a mirror of agenda/live_state.py ---------------------------------------

const get = (data, key, fallback = null) => (key in data ? data[key] : fallback);

function item(state, id) {
  return state.agenda.find((i) => i.id === id) || null;
}

function speaker(state, id) {
  const found = state.speakers.find((s) => s.id === id);
  if (!found) throw new Error("unknown speaker " + id);
  return found;
}

function vote(state, id) {
  const found = state.votes.find((v) => v.id === id);
  if (!found) throw new Error("unknown vote " + id);
  return found;
}

function leave(state, itemId, spent) {
  const left = item(state, itemId);
  if (left) Object.assign(left, { state: "done", spent_seconds: spent, current_since: null });
}

export const APPLY = {
  "meeting.started"(state, data) {
    state.meeting.state = "in_progress";
    state.meeting.started_at = data.started_at;
  },
  "meeting.adjourned"(state, data) {
    leave(state, get(data, "left_item_id"), get(data, "spent_seconds", 0));
    Object.assign(state.meeting, { state: "adjourned", adjourned_at: data.adjourned_at, current_item_id: null });
  },
  "attendance.changed"(state, data) {
    for (const row of state.attendance) {
      if (row.member_id === data.member_id) {
        Object.assign(row, {
          status: data.status,
          substitute_user_id: get(data, "substitute_user_id"),
          substitute_name: get(data, "substitute_name"),
        });
      }
    }
  },
  "quorum.changed"(state, data) {
    state.quorum = { present: data.present, total: data.total, required: data.required, quorate: data.quorate };
  },
  "agenda.advanced"(state, data) {
    leave(state, get(data, "from_item_id"), get(data, "spent_seconds", 0));
    const target = item(state, data.to_item_id);
    if (target) Object.assign(target, { state: "current", current_since: data.at });
    state.meeting.current_item_id = data.to_item_id;
  },
  "item.outcome"(state, data) {
    const found = item(state, data.agenda_item_id);
    if (found) Object.assign(found, { outcome: data.outcome, conclusion: data.conclusion, state: data.state });
  },
  "speaker.requested"(state, data) {
    state.speakers.push({
      id: data.speaker_id,
      agenda_item_id: data.agenda_item_id,
      user_id: data.user_id,
      member_id: get(data, "member_id"),
      name: data.name,
      state: "requested",
      requested_at: data.requested_at,
      started_at: null,
      stopped_at: null,
      seconds: 0,
    });
  },
  "speaker.started"(state, data) {
    Object.assign(speaker(state, data.speaker_id), { state: "speaking", started_at: data.started_at });
  },
  "speaker.stopped"(state, data) {
    Object.assign(speaker(state, data.speaker_id), {
      state: "done",
      stopped_at: data.stopped_at,
      seconds: data.seconds,
    });
  },
  "speaker.withdrawn"(state, data) {
    speaker(state, data.speaker_id).state = "withdrawn";
  },
  "vote.created"(state, data) {
    state.votes.push({
      id: data.vote_id,
      agenda_item_id: data.agenda_item_id,
      question: data.question,
      secret: data.secret,
      state: "draft",
      eligible: 0,
      cast: 0,
      opened_at: null,
      closed_at: null,
    });
  },
  "vote.opened"(state, data) {
    Object.assign(vote(state, data.vote_id), { state: "open", eligible: data.eligible, opened_at: data.opened_at });
  },
  "vote.progress"(state, data) {
    Object.assign(vote(state, data.vote_id), { cast: data.cast, eligible: data.eligible });
  },
  "vote.closed"(state, data) {
    const found = vote(state, data.vote_id);
    Object.assign(found, { state: "closed", closed_at: data.closed_at, result: data.result });
    if (data.ballots !== undefined && data.ballots !== null) found.ballots = data.ballots;
  },
  // Pre-session positions (docs/positions.md): not part of the state; an objection takes an
  // item out of the consent block.
  "position.stated"() {},
  "consent.left"(state, data) {
    const found = item(state, data.agenda_item_id);
    if (found) found.consent = false;
  },
  // The minutes (after adjournment): the draft and its edits change nothing live; finalizing
  // closes the meeting.
  "minutes.drafted"() {},
  "minutes.edited"() {},
  "minutes.finalized"(state) {
    state.meeting.state = "closed";
  },
};

// Advance `state` in place by one event; false when this kind needs a fresh snapshot instead.
export function applyEvent(state, kind, data) {
  const step = APPLY[kind];
  if (!step) return false;
  step(state, data || {});
  return true;
}

// --- small shared helpers for the screens ----------------------------------------------------

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Replace a container's children, keeping the focus on the element with the same data-key.
export function replace(container, children) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : null;
  container.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  if (key) {
    const again = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again && !again.disabled) again.focus();
  }
}

export function clock(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(h ? 2 : 1, "0");
  return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
}

const TIME_ZONE = "Asia/Ho_Chi_Minh";

export function hhmm(ms) {
  return new Intl.DateTimeFormat(document.documentElement.lang === "en" ? "en-GB" : "vi-VN", {
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
    timeZone: TIME_ZONE,
  }).format(new Date(ms));
}

export function labelsOf(root) {
  try {
    return JSON.parse(root.dataset.labels || "{}");
  } catch {
    return {};
  }
}

export function messagesOf(root) {
  return (name, params) => format(root.dataset["msg" + name] || "", params || {});
}

// Seconds spent on an agenda item so far, at server time `now` (ms).
export function itemSeconds(entry, now) {
  let spent = entry.spent_seconds || 0;
  if (entry.current_since) spent += Math.max(0, (now - Date.parse(entry.current_since)) / 1000);
  return spent;
}

// Seconds a speaker has held the floor (or held it, once done).
export function speakerSeconds(entry, now) {
  if (entry.state === "speaking" && entry.started_at) return Math.max(0, (now - Date.parse(entry.started_at)) / 1000);
  return entry.seconds || 0;
}

export function currentItem(state) {
  if (!state || state.meeting.current_item_id === null || state.meeting.current_item_id === undefined) return null;
  return state.agenda.find((i) => i.id === state.meeting.current_item_id) || null;
}

// --- the socket ------------------------------------------------------------------------------

// Options: meetingId; onChange(client, change) after every snapshot and applied event, where
// change is {type: "snapshot"} or {type: "event", kind, data}; onNotice(kind, data) for events
// worth a word to the user (document.updated); status: the #live-status element.
export function connect(options) {
  const { meetingId, onChange = () => {}, onNotice = () => {} } = options;
  const statusEl = options.status || document.getElementById("live-status");
  const say = statusEl ? messagesOf(statusEl) : () => "";
  const client = {
    state: null,
    seq: null,
    epoch: null,
    offset: 0, // server clock minus ours, ms
    status: "connecting",
    snapshots: 0, // how many snapshots this page has taken (1 when every event could be applied)
    now: () => Date.now() + client.offset,
    reconnect: () => restart("resume", 0),
    close: () => stop(),
  };
  let socket = null;
  let attempt = 0;
  let fresh = true; // the next connection asks for a snapshot (no since)
  let retryTimer = null;
  let silenceTimer = null;
  let bannerTimer = null;
  let stopped = false;

  function setStatus(status) {
    client.status = status;
    document.documentElement.dataset.live = status;
    if (!statusEl) return;
    clearTimeout(bannerTimer);
    const text = {
      connecting: say("Connecting"),
      reconnecting: say("Reconnecting"),
      restarting: say("Restarting"),
      refused: say("Refused"),
      expired: say("Expired"),
    }[status];
    statusEl.textContent = text || "";
    statusEl.hidden = !text;
    statusEl.classList.toggle("is-error", status === "refused" || status === "expired");
  }

  function url() {
    const base = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/meetings/" + meetingId;
    if (fresh || client.seq === null) return base;
    const query = new URLSearchParams({ since: String(client.seq) });
    if (client.epoch) query.set("epoch", client.epoch);
    return base + "?" + query;
  }

  function backoff() {
    const base = Math.min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** attempt);
    attempt += 1;
    return Math.round(base * (1 - JITTER + Math.random() * 2 * JITTER));
  }

  function armSilence() {
    clearTimeout(silenceTimer);
    silenceTimer = setTimeout(() => {
      setStatus("reconnecting");
      restart("resume", backoff());
    }, SILENCE);
  }

  function drop() {
    const old = socket;
    socket = null;
    clearTimeout(silenceTimer);
    if (old) {
      old.onopen = old.onmessage = old.onclose = old.onerror = null;
      try {
        old.close(CLOSE_SILENT);
      } catch {
        /* already closed */
      }
    }
  }

  // Reconnect on purpose: "resume" from our seq, or "fresh" for a new snapshot.
  function restart(mode, delay) {
    if (stopped) return;
    if (mode === "fresh") fresh = true;
    drop();
    clearTimeout(retryTimer);
    if (client.status === "live") {
      clearTimeout(bannerTimer);
      bannerTimer = setTimeout(() => client.status === "live" && setStatus("reconnecting"), BANNER_DELAY);
    }
    retryTimer = setTimeout(open, delay);
  }

  function open() {
    if (stopped) return;
    drop();
    let opened = false;
    let ws;
    try {
      ws = new WebSocket(url());
    } catch {
      setStatus("reconnecting");
      retryTimer = setTimeout(open, backoff());
      return;
    }
    socket = ws;
    armSilence();
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (event) => {
      if (socket !== ws) return;
      armSilence();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      receive(message);
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = null;
      clearTimeout(silenceTimer);
      if (stopped) return;
      if (event.code === CLOSE_REFUSED) {
        setStatus("refused");
        return;
      }
      if (event.code === CLOSE_LOGGED_OUT) {
        setStatus("expired");
        return;
      }
      setStatus(event.code === CLOSE_RESTART ? "restarting" : "reconnecting");
      const delay = backoff();
      if (!opened) probe(delay);
      else retryTimer = setTimeout(open, delay);
    };
  }

  // The handshake failed before it opened: ask the API why, and stop for good on 401/403/404.
  async function probe(delay) {
    try {
      await api("GET", `/meetings/${meetingId}/live`);
    } catch (error) {
      if (error.status === 401) return setStatus("expired");
      if (error.status === 403 || error.status === 404) return setStatus("refused");
    }
    if (!stopped && socket === null) retryTimer = setTimeout(open, delay);
  }

  function receive(message) {
    if (message.type === "snapshot") {
      client.state = message.state;
      client.seq = message.seq;
      client.epoch = message.epoch;
      if (message.server_time) {
        const server = Date.parse(message.server_time);
        if (!Number.isNaN(server)) client.offset = server - Date.now();
      }
      fresh = false;
      attempt = 0;
      client.snapshots += 1;
      setStatus("live");
      onChange(client, { type: "snapshot" });
      return;
    }
    if (message.type === "heartbeat") {
      if (client.state === null) return;
      if (typeof message.seq === "number" && client.seq !== null && message.seq > client.seq) {
        restart("resume", 0); // we missed an event
      } else if (client.status !== "live") {
        setStatus("live");
      }
      return;
    }
    if (message.type !== "event") return;
    if (client.state === null || client.seq === null) {
      restart("fresh", 0);
      return;
    }
    if (message.seq <= client.seq) return; // already applied
    if (message.seq !== client.seq + 1) {
      restart("resume", 0); // a gap: resume from the last seq we hold
      return;
    }
    client.seq = message.seq;
    attempt = 0;
    if (client.status !== "live") setStatus("live");
    if (message.kind === "hidden") return;
    let applied = false;
    try {
      applied = applyEvent(client.state, message.kind, message.data);
    } catch {
      applied = false;
    }
    if (!applied) {
      if (message.kind === "document.updated") onNotice(message.kind, message.data || {});
      restart("fresh", 0);
      return;
    }
    onChange(client, { type: "event", kind: message.kind, data: message.data || {}, at: message.at });
  }

  function stop() {
    stopped = true;
    clearTimeout(retryTimer);
    clearTimeout(bannerTimer);
    drop();
  }

  window.addEventListener("online", () => {
    if (!stopped && client.status !== "live" && client.status !== "refused" && client.status !== "expired") {
      restart("resume", 0);
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !stopped && socket === null && client.status === "reconnecting") {
      restart("resume", 0);
    }
  });
  window.addEventListener("pagehide", stop);
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && stopped) {
      stopped = false;
      fresh = true;
      setStatus("connecting");
      open();
    }
  });

  setStatus("connecting");
  open();
  window.ecabinetLive = client; // for debugging, and for the browser tests' state checks
  return client;
}

// A small "new version" notice for document.updated, in #live-notice (with data-msg-document).
export function showDocumentNotice(data) {
  const box = document.getElementById("live-notice");
  if (!box) return;
  const say = messagesOf(box);
  const link = el("a", { href: `/documents/${data.document_id}/read`, class: "doc-read" }, data.title || "");
  const close = el("button", { type: "button", class: "btn btn-small", text: say("Dismiss") });
  close.addEventListener("click", () => {
    box.hidden = true;
    box.replaceChildren();
  });
  box.replaceChildren(
    el("p", {}, el("strong", { class: "badge badge-new", text: say("Document") }), " ", link, " ", say("Version", { version: data.version })),
    close,
  );
  box.hidden = false;
}
