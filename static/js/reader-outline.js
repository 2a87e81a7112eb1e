// The reader's outline sidebar: the PDF's bookmarks as a nested, collapsible list of page
// links (pdf.getOutline()), or a plain list of pages when the document has none.
// Titles come from the PDF and are set as text, never as HTML; links to outside URLs are
// left out (a briefing paper does not send the reader elsewhere).

const MAX_ENTRIES = 2000;

export async function buildOutline({ pdf, list, fallback, pageLabel, goTo }) {
  let outline = null;
  try {
    outline = await pdf.getOutline();
  } catch {
    outline = null;
  }
  const entries = []; // { page, button } in document order
  list.replaceChildren();
  if (outline && outline.length) {
    const budget = { left: MAX_ENTRIES };
    await addItems(pdf, outline, list, entries, goTo, budget, 0);
  }
  if (!entries.length) {
    fallback.hidden = false;
    list.classList.add("outline-pages");
    for (let page = 1; page <= pdf.numPages; page++) {
      const button = link(pageLabel(page), page, goTo, false);
      const li = document.createElement("li");
      li.append(button);
      list.append(li);
      entries.push({ page, button });
    }
  }

  return {
    // Mark the entry for `page`: the last one that starts at or before it.
    mark(page) {
      let current = null;
      for (const entry of entries) {
        if (entry.page !== null && entry.page <= page) current = entry;
        if (entry.page !== null && entry.page > page) break;
      }
      for (const entry of entries) {
        if (entry === current) entry.button.setAttribute("aria-current", "true");
        else entry.button.removeAttribute("aria-current");
      }
    },
  };
}

async function addItems(pdf, items, parent, entries, goTo, budget, depth) {
  for (const item of items) {
    if (budget.left-- <= 0) return;
    const page = await pageOf(pdf, item.dest);
    const li = document.createElement("li");
    const row = document.createElement("div");
    row.className = "outline-row";
    const title = (item.title || "").trim() || "…";
    const button = link(title, page, goTo);
    if (page === null) button.disabled = true;
    row.append(button);
    li.append(row);
    entries.push({ page, button });
    if (item.items && item.items.length) {
      const children = document.createElement("ul");
      const toggle = document.createElement("button");
      const open = depth === 0;
      toggle.type = "button";
      toggle.className = "btn btn-icon btn-quiet outline-toggle";
      toggle.setAttribute("aria-expanded", String(open));
      toggle.setAttribute("aria-label", title);
      toggle.textContent = open ? "▾" : "▸";
      children.hidden = !open;
      toggle.addEventListener("click", () => {
        const expanded = children.hidden;
        children.hidden = !expanded;
        toggle.setAttribute("aria-expanded", String(expanded));
        toggle.textContent = expanded ? "▾" : "▸";
      });
      row.prepend(toggle);
      li.append(children);
      await addItems(pdf, item.items, children, entries, goTo, budget, depth + 1);
    } else {
      row.classList.add("is-leaf");
    }
    parent.append(li);
  }
}

function link(text, page, goTo, numbered = true) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "outline-link";
  const label = document.createElement("span");
  label.className = "outline-title";
  label.textContent = text;
  button.append(label);
  if (page !== null && numbered) {
    const number = document.createElement("span");
    number.className = "outline-page";
    number.textContent = String(page);
    button.append(number);
  }
  if (page !== null) button.addEventListener("click", () => goTo(page));
  return button;
}

// A destination (named or explicit) to a 1-based page number, or null.
async function pageOf(pdf, dest) {
  try {
    const explicit = typeof dest === "string" ? await pdf.getDestination(dest) : dest;
    if (!Array.isArray(explicit) || !explicit.length) return null;
    const ref = explicit[0];
    if (ref && typeof ref === "object") return (await pdf.getPageIndex(ref)) + 1;
    if (Number.isInteger(ref)) return ref + 1;
  } catch {
    return null;
  }
  return null;
}
