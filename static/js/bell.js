// The bell in the header: the unread count of the user's notifications, pushed live over the
// user's own socket /ws/me (docs/opinion-polls.md). This is the page's one /ws/me socket: other
// scripts (poll-board.js) listen to its frames as "ecab:me" events on the document, and to
// "ecab:me-open" (connected, or reconnected after a drop: time to re-read what may be missed).

const BACKOFF_FIRST = 1000;
const BACKOFF_MAX = 30000;
const JITTER = 0.3;
const SILENCE = 40000; // no frame, not even the 15 s heartbeat, for this long: the socket is dead
// WebSocket close codes: meeting_app/close_codes.py names them all (docs/live.md).
const CLOSE_LOGGED_OUT = 4401;
const CLOSE_QUIET = 4000; // ours: we drop a silent socket

const bell = document.getElementById("bell");
const count = document.getElementById("bell-count");
const unreadText = document.getElementById("bell-unread");

function format(template, params) {
  return (template || "").replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));
}

function show(unread) {
  if (!bell || !count) return;
  const n = Number(unread) || 0;
  count.textContent = n > 99 ? "99+" : String(n);
  count.hidden = n === 0;
  bell.classList.toggle("has-unread", n > 0);
  bell.dataset.unread = String(n);
  // Spoken after the visible label (not an aria-label, which would hide the visible text from
  // speech input: WCAG 2.5.3).
  if (unreadText) unreadText.textContent = n > 0 ? ` (${format(bell.dataset.msgUnread, { count: n })})` : "";
}

let attempt = 0;
let socket = null;
let silenceTimer = 0;
let stopped = false;

function backoff() {
  const base = Math.min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** attempt);
  attempt += 1;
  return Math.round(base * (1 - JITTER + Math.random() * 2 * JITTER));
}

function armSilence(ws) {
  clearTimeout(silenceTimer);
  silenceTimer = setTimeout(() => {
    if (socket !== ws) return;
    socket = null;
    ws.onclose = null;
    try {
      ws.close(CLOSE_QUIET);
    } catch {
      /* already closed */
    }
    setTimeout(open, backoff());
  }, SILENCE);
}

// A handshake that failed before opening: stop for good when the login session is gone.
async function stillLoggedIn() {
  try {
    const response = await fetch("/api/v1/notifications", {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.ok) show((await response.json()).unread);
    return response.status !== 401 && response.status !== 403;
  } catch {
    return true; // the network: keep trying
  }
}

function open() {
  if (stopped) return;
  let opened = false;
  let ws;
  try {
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/me");
  } catch {
    setTimeout(open, backoff());
    return;
  }
  socket = ws;
  armSilence(ws);
  ws.onopen = () => {
    opened = true;
    attempt = 0;
    document.documentElement.dataset.me = "live";
    document.dispatchEvent(new CustomEvent("ecab:me-open"));
  };
  ws.onmessage = (event) => {
    if (socket !== ws) return;
    armSilence(ws);
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame.type === "notifications") show(frame.unread);
    document.dispatchEvent(new CustomEvent("ecab:me", { detail: frame }));
  };
  ws.onclose = async (event) => {
    if (socket !== ws) return;
    socket = null;
    clearTimeout(silenceTimer);
    document.documentElement.dataset.me = "offline";
    if (event.code === CLOSE_LOGGED_OUT) {
      stopped = true;
      return;
    }
    const delay = backoff();
    if (!opened && !(await stillLoggedIn())) {
      stopped = true;
      return;
    }
    setTimeout(open, delay);
  };
}

if (bell) open();
