// The reader hears of a new version of its paper while it is open: the user feed (/ws/me, opened
// by bell.js) sends {"type": "paper", document_id, version} to everyone told of it
// (docs/notifications.md), and bell.js re-dispatches each frame as an "ecab:me" event. A banner
// with a link to the new version goes into the page's role=status region, so it is announced.
// A socket that was down may have missed the frame: when it opens again, the reader asks the
// document's latest version (GET /api/v1/documents/{id}) once.

const root = document.getElementById("reader");
const region = document.getElementById("live-version");

if (root && region) {
  const documentId = Number(root.dataset.document);
  let newest = Number(root.dataset.latestVersion) || 0;

  const format = (template, params) =>
    (template || "").replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));

  let opens = 0;

  function announce(version) {
    if (!Number.isInteger(version) || version <= newest) return;
    newest = version;
    const notice = document.createElement("div");
    notice.className = "notice notice-new";
    const text = document.createElement("p");
    const strong = document.createElement("strong");
    strong.textContent = format(root.dataset.msgLiveVersion, { version });
    text.append(strong);
    const link = document.createElement("a");
    link.className = "btn btn-small btn-primary";
    link.id = "open-new-version";
    link.href = `/documents/${documentId}/read?v=${version}`;
    link.textContent = root.dataset.msgOpenLatest;
    notice.append(text, link);
    region.replaceChildren(notice);
  }

  document.addEventListener("ecab:me", (event) => {
    const frame = event.detail || {};
    if (frame.type === "paper" && Number(frame.document_id) === documentId) announce(Number(frame.version));
  });

  document.addEventListener("ecab:me-open", async () => {
    opens += 1;
    if (opens === 1) return; // the page itself is fresh
    try {
      const response = await fetch(`/api/v1/documents/${documentId}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const found = await response.json();
      if (found.latest) announce(Number(found.latest.version));
    } catch {
      // the network: the next reconnect asks again
    }
  });
}
