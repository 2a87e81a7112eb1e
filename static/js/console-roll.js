// The console's roll call (templates/live/console.html, "Điểm danh"): a compact grid of the
// invited members. Each tile is one toggle (present <-> absent) with the member's name, a select
// for the other statuses (online, excused), and, for an absent or excused member, the substitute
// standing in. "All present" marks every member not yet present; the search box filters the grid
// by name or title, ignoring accents ("dat dai" finds "Đất đai").

import { el, replace } from "./live.js";

const STATUSES = ["present", "remote", "absent", "excused"];

export function fold(text) {
  return (text || "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .toLowerCase();
}

export function renderRoll({ s, guests, msg, label, editable, set, query }) {
  const q = fold(query).trim();
  const rows = s.attendance.filter((row) => !q || fold(`${row.full_name} ${row.title || ""}`).includes(q));
  const tiles = rows.map((row) => {
    const present = row.status === "present" || row.status === "remote";
    if (!editable) {
      // Before publishing or after the adjournment: the roll as it stands, without controls.
      return el(
        "li",
        { class: `roll-tile is-read-only attendance-row att-row-${row.status || "unknown"}`, dataset: { member: String(row.member_id) } },
        el(
          "span",
          { class: `roll-toggle att-${row.status || "unknown"}` },
          el("span", { class: "roll-mark", "aria-hidden": "true", text: present ? "✓" : "" }),
          el("span", { class: "roll-name", text: row.full_name }),
        ),
        el("span", { class: "roll-status-text small", text: row.status ? label("attendance", row.status) : "—" }),
        row.substitute_name ? el("span", { class: "att-sub-name small", text: msg("Substitute", { name: row.substitute_name }) }) : null,
      );
    }
    const toggle = el(
      "button",
      {
        type: "button",
        class: `roll-toggle att-btn att-${row.status || "unknown"}`,
        dataset: { key: `att-${row.member_id}-toggle`, status: "present" },
        "aria-pressed": String(row.status === "present"),
        "aria-label": msg("PresentToggle", { name: row.full_name }),
        disabled: !editable,
        onclick: (e) => set(row, row.status === "present" ? "absent" : "present", null, e.currentTarget),
      },
      el("span", { class: "roll-mark", "aria-hidden": "true", text: present ? "✓" : "" }),
      el("span", { class: "roll-name", text: row.full_name }),
    );
    const selectId = `att-status-${row.member_id}`;
    const status = el(
      "select",
      {
        id: selectId,
        class: "roll-status",
        dataset: { key: selectId },
        "aria-label": msg("StatusOf", { name: row.full_name }),
        disabled: !editable,
        onchange: (e) => set(row, e.currentTarget.value, null, e.currentTarget),
      },
      row.status ? null : el("option", { value: "", text: "—", selected: true }),
      STATUSES.map((code) => el("option", { value: code, text: label("attendance", code), selected: row.status === code })),
    );
    let substitute = null;
    if (guests.length && (row.status === "absent" || row.status === "excused")) {
      const id = `sub-${row.member_id}`;
      substitute = el(
        "div",
        { class: "att-substitute" },
        el("label", { class: "sr-only", for: id, text: msg("SubstituteFor", { name: row.full_name }) }),
        el(
          "select",
          {
            id,
            dataset: { key: id },
            disabled: !editable,
            onchange: (e) => set(row, row.status, Number(e.currentTarget.value) || null, e.currentTarget),
          },
          el("option", { value: "", text: msg("NoSubstitute") }),
          guests.map((g) => el("option", { value: String(g.id), text: g.full_name, selected: g.id === row.substitute_user_id })),
        ),
      );
    }
    return el(
      "li",
      {
        class: `roll-tile attendance-row att-row-${row.status || "unknown"}`,
        dataset: { member: String(row.member_id) },
        title: row.title || null,
      },
      toggle,
      status,
      row.votes ? null : el("span", { class: "badge roll-note", text: msg("NoVoteRight") }),
      row.substitute_name ? el("span", { class: "att-sub-name small", text: msg("Substitute", { name: row.substitute_name }) }) : null,
      substitute,
    );
  });
  replace(document.getElementById("attendance"), tiles);
  document.getElementById("roll-empty").hidden = rows.length > 0;
}

// Mark present every member not yet present or online, one command each (each is its own event,
// as the API has no bulk roll call), a few at a time. Returns how many were marked.
export async function allPresent(s, set, parallel = 4) {
  const missing = s.attendance.filter((row) => row.status !== "present" && row.status !== "remote");
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < missing.length) {
      const row = missing[next++];
      if ((await set(row, "present", null, null)) === null) failed = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, missing.length) }, worker));
  return missing.length;
}
