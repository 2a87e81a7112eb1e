// The reader hears of a new version of its paper while it is open: the user feed (/ws/me, opened
// by bell.js) sends {"type": "paper", document_id, version} to everyone told of it
// (docs/notifications.md), and bell.js re-dispatches each frame as an "ecab:me" event. A banner
// with a link to the new version goes into the page's role=status region, so it is announced.

const root = document.getElementById("reader");
const region = document.getElementById("live-version");

if (root && region) {
  const documentId = Number(root.dataset.document);
  let newest = Number(root.dataset.latestVersion) || 0;

  const format = (template, params) =>
    (template || "").replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));

  document.addEventListener("ecab:me", (event) => {
    const frame = event.detail || {};
    if (frame.type !== "paper" || Number(frame.document_id) !== documentId) return;
    const version = Number(frame.version);
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
  });
}
