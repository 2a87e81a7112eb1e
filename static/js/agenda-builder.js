// The agenda builder: reorder by drag-and-drop or keyboard, saved through the JSON API.
// Without this script every row still has up/down buttons (plain forms).
//
// Keyboard, on a row's handle: Alt+ArrowUp/ArrowDown moves the row at once; Space (or Enter)
// picks it up, the arrows move it, Space/Enter drops it and Escape cancels.
// After publishing, a <dialog> asks for the reason for the change before saving.

import { api } from "./csrf.js";

const list = document.getElementById("agenda");
if (list && list.dataset.editable === "true") {
  builder(list);
}
readinessOverride();

function builder(list) {
  const meetingId = list.dataset.meeting;
  const published = list.dataset.published === "true";
  const status = document.getElementById("agenda-status");
  const dialog = document.getElementById("reason-dialog");
  let saved = ids();
  let picked = null;
  let dragged = null;
  let busy = false;

  function rows() {
    return Array.from(list.querySelectorAll(":scope > li.agenda-row"));
  }

  function ids() {
    return rows().map((row) => Number(row.dataset.id));
  }

  function message(name, params = {}) {
    const template = list.dataset["msg" + name] || "";
    return template.replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));
  }

  function say(text) {
    if (status) {
      status.textContent = "";
      window.setTimeout(() => {
        status.textContent = text;
      }, 30);
    }
  }

  function renumber() {
    const all = rows();
    all.forEach((row, index) => {
      const pos = row.querySelector(".pos");
      if (pos) pos.textContent = String(index + 1);
      row.querySelectorAll(".move-up").forEach((b) => (b.disabled = index === 0));
      row.querySelectorAll(".move-down").forEach((b) => (b.disabled = index === all.length - 1));
    });
  }

  function restore(order) {
    const byId = new Map(rows().map((row) => [Number(row.dataset.id), row]));
    order.forEach((id) => {
      const row = byId.get(id);
      if (row) list.appendChild(row);
    });
    renumber();
  }

  function same(a, b) {
    return a.length === b.length && a.every((value, index) => value === b[index]);
  }

  // Move `row` one step without detaching it (so a focused handle keeps focus).
  function step(row, direction) {
    if (direction < 0 && row.previousElementSibling) {
      row.after(row.previousElementSibling);
    } else if (direction > 0 && row.nextElementSibling) {
      row.before(row.nextElementSibling);
    } else {
      return false;
    }
    renumber();
    return true;
  }

  function positionOf(row) {
    return rows().indexOf(row) + 1;
  }

  function askReason() {
    return new Promise((resolve) => {
      if (!dialog || typeof dialog.showModal !== "function") {
        resolve(null);
        return;
      }
      const text = dialog.querySelector("textarea");
      text.value = "";
      dialog.returnValue = "";
      dialog.addEventListener(
        "close",
        () => {
          const reason = text.value.trim();
          resolve(dialog.returnValue === "ok" && reason ? reason : null);
        },
        { once: true },
      );
      dialog.showModal();
      text.focus();
    });
  }

  async function commit(row) {
    const order = ids();
    if (same(order, saved) || busy) return;
    busy = true;
    let reason = null;
    try {
      if (published) {
        reason = await askReason();
        if (reason === null) {
          restore(saved);
          say(message("Cancelled"));
          return;
        }
      }
      list.classList.add("is-saving");
      const body = { agenda_item_ids: order };
      if (reason) body.reason = reason;
      await api("PUT", `/api/v1/meetings/${meetingId}/agenda-order`, body);
      saved = order;
      say(message("Saved"));
      await refresh();
    } catch (error) {
      restore(saved);
      say(message("Failed", { message: error.message }));
    } finally {
      busy = false;
      list.classList.remove("is-saving");
      const handle = row && row.querySelector(".handle");
      if (handle) handle.focus();
    }
  }

  async function refresh() {
    const detail = await api("GET", `/api/v1/meetings/${meetingId}`);
    const warnings = detail.warnings || [];
    const box = document.getElementById("warnings");
    const listEl = document.getElementById("warning-list");
    if (listEl) {
      listEl.replaceChildren(
        ...warnings.map((warning) => {
          const item = document.createElement("li");
          item.textContent = warning.message;
          return item;
        }),
      );
    }
    if (box) box.classList.toggle("is-empty", warnings.length === 0);
    const version = document.getElementById("agenda-version");
    if (version && detail.agenda_version) version.textContent = String(detail.agenda_version);
    const total = document.getElementById("total-minutes");
    if (total && typeof detail.total_minutes === "number") total.textContent = String(detail.total_minutes);
  }

  function unpick(cancel) {
    if (!picked) return;
    picked.classList.remove("is-picked");
    picked.querySelector(".handle").setAttribute("aria-pressed", "false");
    const row = picked;
    picked = null;
    if (cancel) {
      restore(saved);
      say(message("Cancelled"));
      row.querySelector(".handle").focus();
    } else {
      commit(row);
    }
  }

  // --- keyboard ---------------------------------------------------------------------------------
  list.addEventListener("keydown", (event) => {
    const handle = event.target.closest(".handle");
    if (!handle || busy) return;
    const row = handle.closest("li.agenda-row");
    const up = event.key === "ArrowUp";
    const down = event.key === "ArrowDown";
    if (event.altKey && (up || down)) {
      event.preventDefault();
      if (step(row, up ? -1 : 1)) {
        say(message("Moved", { position: positionOf(row), total: rows().length }));
        if (!picked) commit(row);
      }
      return;
    }
    if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      if (picked === row) {
        unpick(false);
      } else {
        if (picked) unpick(true);
        picked = row;
        row.classList.add("is-picked");
        handle.setAttribute("aria-pressed", "true");
        say(message("Picked", { position: positionOf(row) }));
      }
      return;
    }
    if (picked === row && (up || down)) {
      event.preventDefault();
      if (step(row, up ? -1 : 1)) {
        say(message("Moved", { position: positionOf(row), total: rows().length }));
      }
      return;
    }
    if (picked === row && event.key === "Escape") {
      event.preventDefault();
      unpick(true);
    }
  });

  list.addEventListener("focusout", (event) => {
    if (picked && event.target.closest(".handle") && !list.contains(event.relatedTarget)) {
      unpick(true);
    }
  });

  // --- drag and drop ----------------------------------------------------------------------------
  function clearMarks() {
    rows().forEach((row) => row.classList.remove("drop-before", "drop-after"));
  }

  list.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest(".handle");
    if (handle) handle.closest("li.agenda-row").draggable = true;
  });

  // A press on the handle that ends without a drag (a click, to focus it for the keyboard) must
  // not leave the row draggable: dragging its text would then move the whole row.
  list.addEventListener("pointerup", (event) => {
    const handle = event.target.closest(".handle");
    if (handle && !dragged) handle.closest("li.agenda-row").draggable = false;
  });

  list.addEventListener("dragstart", (event) => {
    const row = event.target.closest && event.target.closest("li.agenda-row");
    if (!row || !row.draggable || busy) {
      event.preventDefault();
      return;
    }
    dragged = row;
    row.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", row.dataset.id);
  });

  list.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const row = event.target.closest("li.agenda-row");
    if (!row || row === dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    const box = row.getBoundingClientRect();
    const before = event.clientY < box.top + box.height / 2;
    clearMarks();
    row.classList.add(before ? "drop-before" : "drop-after");
  });

  list.addEventListener("drop", (event) => {
    if (!dragged) return;
    const row = event.target.closest("li.agenda-row");
    event.preventDefault();
    if (row && row !== dragged) {
      const box = row.getBoundingClientRect();
      if (event.clientY < box.top + box.height / 2) {
        row.before(dragged);
      } else {
        row.after(dragged);
      }
      renumber();
    }
  });

  list.addEventListener("dragend", () => {
    clearMarks();
    if (!dragged) return;
    const row = dragged;
    dragged = null;
    row.classList.remove("is-dragging");
    row.draggable = false;
    commit(row);
  });
}

// A programme item that is not ready may only be added with "override readiness" ticked.
function readinessOverride() {
  const select = document.getElementById("add-programme");
  const override = document.getElementById("add-override");
  if (!select || !override) return;
  const sync = () => {
    const option = select.selectedOptions[0];
    override.required = Boolean(option && option.dataset.ready === "false");
  };
  select.addEventListener("change", sync);
  sync();
}
