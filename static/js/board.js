// The monitoring board, live (docs/monitoring.md "Live refresh"). bell.js carries the frames of
// /ws/me as "ecab:me" events: on a `task` or `dossier` frame (with or without ids: the bare
// `{"type": "task"}` tells a reader only that something changed), and whenever the socket
// (re)connects, the page is read again and its figures (#board-figures, charts included) are
// swapped in. When a number changed, the polite live region says so once. The attach form's
// dialog is static/js/confirm-dialog.js, as on the minutes page.

const REFRESH_DELAY = 800; // frames that come together cause one read
const status = document.getElementById("board-status");

let timer = 0;
let reading = false;
let again = false;

function signature(root) {
  const figures = root.querySelector("#board-figures");
  return figures ? figures.dataset.signature || "" : "";
}

async function refresh() {
  if (reading) {
    again = true;
    return;
  }
  reading = true;
  try {
    const response = await fetch(location.pathname + location.search, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const incoming = fresh.getElementById("board-figures");
    const current = document.getElementById("board-figures");
    if (!incoming || !current) return;
    const changed = signature(fresh) !== signature(document);
    // Keep focus where it was when the focused link is redrawn: same href, same place.
    const focused = current.contains(document.activeElement) ? document.activeElement : null;
    const focusKey = focused && focused.getAttribute("href");
    current.replaceWith(document.adoptNode(incoming));
    if (focusKey) {
      const target = incoming.querySelector(`a[href="${CSS.escape(focusKey)}"]`);
      if (target) target.focus();
    }
    document.body.dataset.boardRefreshed = String(Number(document.body.dataset.boardRefreshed || 0) + 1);
    if (changed && status) {
      status.textContent = "";
      setTimeout(() => {
        status.textContent = status.dataset.msgUpdated || "";
      }, 100);
    }
  } catch {
    /* the network: the next frame or reconnection tries again */
  } finally {
    reading = false;
    if (again) {
      again = false;
      schedule();
    }
  }
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(refresh, REFRESH_DELAY);
}

if (document.getElementById("board-figures")) {
  document.addEventListener("ecab:me", (event) => {
    const frame = event.detail || {};
    if (frame.type === "task" || frame.type === "dossier") schedule();
  });
  document.addEventListener("ecab:me-open", schedule);
}
