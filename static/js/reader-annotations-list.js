// The annotations panel's lists (reader-annotations.js): this document's annotations, the
// reader's own and those shared with them (with their author), each with its page and quote, a
// tap going to its page; the reader's own can be edited and deleted (a second tap confirms).
// Orphans (their passage gone from a new version) are listed apart, with their old quote.

const EXCERPT = 160;
const SHORT = 60;
const CONFIRM_MS = 5000;

function excerpt(text) {
  return text.length > EXCERPT ? `${text.slice(0, EXCERPT - 1)}…` : text;
}

export function setupAnnotationList({ panel, msg, version, onGo, onEdit, onDelete }) {
  const list = panel.querySelector("#annot-list");
  const orphans = panel.querySelector("#annot-orphans");
  const orphansBlock = panel.querySelector("#annot-orphans-block");

  function shareLine(item) {
    const share = item.share || { secretariat: false, user_ids: [] };
    const names = [];
    if (share.secretariat) names.push(msg("Secretariat"));
    if (share.user_ids && share.user_ids.length) names.push(msg("People", { count: share.user_ids.length }));
    return names.length ? msg("SharedWith", { names: names.join(", ") }) : msg("Private");
  }

  function button(className, text, action) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `btn btn-small ${className}`;
    b.textContent = text;
    b.addEventListener("click", action);
    return b;
  }

  function deleteButton(item) {
    const b = button("btn-danger-quiet annot-delete", msg("Delete"), () => {
      if (b.dataset.confirm !== "1") {
        b.dataset.confirm = "1";
        b.textContent = msg("ConfirmDelete");
        window.setTimeout(() => {
          if (!b.isConnected) return;
          b.dataset.confirm = "";
          b.textContent = msg("Delete");
        }, CONFIRM_MS);
        return;
      }
      onDelete(item);
    });
    return b;
  }

  function entry(item, page, missing) {
    const li = document.createElement("li");
    li.className = `annot-item is-${item.kind}${item.mine ? " is-mine" : " is-shared"}`;
    li.dataset.annotation = String(item.id);
    const orphan = item.state === "orphaned";
    const go = document.createElement("button");
    go.type = "button";
    go.className = "annot-go";
    if (!orphan && item.page === page) go.setAttribute("aria-current", "true");
    const head = document.createElement("strong");
    head.textContent = `${msg("PageLabel", { page: item.page })} · ${msg(item.kind === "note" ? "Note" : "Highlight")}`;
    const quote = document.createElement("span");
    quote.className = "annot-excerpt";
    quote.textContent = `“${excerpt(item.exact)}”`;
    if (item.exact.length < SHORT) {
      // A short quote may be on the page more than once: the words around it tell which.
      const before = (item.prefix || "").trim().split(" ").slice(-3).join(" ");
      const after = (item.suffix || "").trim().split(" ").slice(0, 3).join(" ");
      quote.textContent = `${before ? `…${before} ` : ""}“${item.exact}”${after ? ` ${after}…` : ""}`;
    }
    go.append(head, quote);
    if (!item.mine && item.author) {
      const by = document.createElement("span");
      by.className = "annot-author";
      by.textContent = msg("By", { name: item.author.name });
      go.append(by);
    }
    go.addEventListener("click", () => onGo(item));
    li.append(go);
    if (item.text) {
      const text = document.createElement("p");
      text.className = "annot-text";
      text.textContent = item.text;
      li.append(text);
    }
    const meta = [];
    if (orphan) meta.push(msg("Orphan", { version: item.version }));
    else if (item.version && item.version !== version) meta.push(msg("Version", { version: item.version }));
    else if (missing.has(item.id)) meta.push(msg("NotFound"));
    if (item.mine) meta.push(shareLine(item));
    if (meta.length) {
      const p = document.createElement("p");
      p.className = "annot-meta";
      p.textContent = meta.join(" · ");
      li.append(p);
    }
    if (item.mine) {
      const actions = document.createElement("div");
      actions.className = "annot-actions";
      if (!orphan) actions.append(button("annot-edit", msg("Edit"), () => onEdit(item)));
      actions.append(deleteButton(item));
      li.append(actions);
    }
    return li;
  }

  // Drawn again (a page drawn anew, a live change), the list gives the focus back to the same
  // control of the same annotation.
  function focused() {
    const active = document.activeElement;
    const li = active instanceof HTMLElement && panel.contains(active) ? active.closest("li[data-annotation]") : null;
    if (!li) return null;
    const control = [...active.classList].find((c) => c.startsWith("annot-"));
    return control ? `li[data-annotation="${li.dataset.annotation}"] .${control}` : null;
  }

  function render(items, page, missing = new Set()) {
    const restore = focused();
    const anchored = items.filter((i) => i.state !== "orphaned");
    const lost = items.filter((i) => i.state === "orphaned");
    anchored.sort((a, b) => a.page - b.page || a.id - b.id);
    list.replaceChildren(...anchored.map((i) => entry(i, page, missing)));
    if (!anchored.length) {
      const li = document.createElement("li");
      li.className = "muted annot-none";
      li.textContent = msg("None");
      list.append(li);
    }
    orphans.replaceChildren(...lost.map((i) => entry(i, page, missing)));
    orphansBlock.hidden = !lost.length;
    const again = restore && panel.querySelector(restore);
    if (again) again.focus({ preventScroll: true });
  }

  // Scrolls the panel alone (never the page behind it) to show `element`.
  function reveal(element) {
    const frame = panel.getBoundingClientRect();
    const box = element.getBoundingClientRect();
    if (box.top < frame.top) panel.scrollTop -= frame.top - box.top + 8;
    else if (box.bottom > frame.bottom) panel.scrollTop += Math.min(box.top - frame.top - 8, box.bottom - frame.bottom + 8);
  }

  function focusItem(id) {
    const li = panel.querySelector(`li[data-annotation="${Number(id)}"]`);
    if (!li) return;
    li.classList.add("is-picked");
    window.setTimeout(() => li.classList.remove("is-picked"), 2500);
    li.querySelector(".annot-go").focus({ preventScroll: true });
    reveal(li);
  }

  return { render, focusItem };
}
