// The annotations panel's forms (reader-annotations.js):
// - the note form: a new note on a chosen passage, or an own annotation edited (its note and
//   with whom it is shared: nobody by default, the Government Office (the secretariat) and/or
//   chosen people from GET .../annotation-audience);
// - "Chú thích một đoạn": the keyboard's way to annotate. The reader types words of a passage
//   of the page on screen (with or without diacritics), the matching passages are listed, and
//   choosing one highlights it or opens the note form on it.

import { api } from "./csrf.js";
import { search, selectorAt } from "./reader-anchor.js";

const CONTEXT = 40;
const SEARCH_MS = 200;

export function setupAnnotationForm({ panel, msg, audienceUrl, getIndex, create, update, afterSave }) {
  const $ = (id) => panel.querySelector(`#${id}`);
  const form = $("annot-form");
  const textField = $("annot-text-field");
  const textarea = $("annot-text");
  const secretariat = $("annot-share-secretariat");
  const audienceBox = $("annot-audience");
  const status = $("annot-form-status");
  const find = $("annot-find");
  const findStatus = $("annot-find-status");
  const matches = $("annot-matches");
  let current = null; // {mode: "create"|"edit", selector, kind, item}
  let audience = null; // a promise of [{user_id, name, title}]
  let back = null; // where the focus goes when the form closes

  function say(text, isError = false) {
    status.textContent = text;
    status.classList.toggle("is-error", isError);
  }

  function loadAudience() {
    if (!audience) {
      audience = api("GET", audienceUrl)
        .then((found) => found.items || [])
        .catch(() => {
          audience = null;
          return [];
        });
    }
    return audience;
  }

  async function showAudience(chosen) {
    const people = await loadAudience();
    audienceBox.replaceChildren();
    if (!people.length) {
      const p = document.createElement("p");
      p.className = "hint";
      p.textContent = msg("NoAudience");
      audienceBox.append(p);
    }
    for (const person of people) {
      const label = document.createElement("label");
      label.className = "check";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = "annot-share-user";
      box.value = String(person.user_id);
      box.checked = chosen.includes(person.user_id);
      const name = document.createElement("span");
      name.textContent = person.title ? `${person.name} (${person.title})` : person.name;
      label.append(box, " ", name);
      audienceBox.append(label);
    }
  }

  function open(state, share) {
    current = state;
    back = document.activeElement instanceof HTMLElement && !form.contains(document.activeElement) ? document.activeElement : null;
    const { selector, kind, mode } = state;
    $("annot-form-title").textContent = msg(mode === "edit" ? "EditTitle" : "NewNote");
    $("annot-form-page").textContent = msg("PageLabel", { page: selector.page });
    $("annot-form-quote").textContent = `“${selector.exact}”`;
    textField.hidden = kind !== "note";
    textarea.value = state.item ? state.item.text || "" : "";
    secretariat.checked = Boolean(share && share.secretariat);
    say("");
    form.hidden = false;
    showAudience((share && share.user_ids) || []);
  }

  function compose(selector, kind = "note") {
    open({ mode: "create", selector, kind, item: null }, null);
  }

  function edit(item) {
    open({ mode: "edit", selector: item, kind: item.kind, item }, item.share);
  }

  // Closed: the focus goes to the annotation just saved, or back where it was (if it is still
  // there to take it), or to the search field.
  function close(saved = null) {
    form.hidden = true;
    current = null;
    const target = back && back.isConnected && back.offsetParent !== null ? back : find;
    back = null;
    if (saved) afterSave(saved);
    else if (target) target.focus({ preventScroll: true });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!current) return;
    const { mode, selector, kind, item } = current;
    const text = kind === "note" ? textarea.value : "";
    if (kind === "note" && !text.trim()) {
      say(msg("EmptyNote"), true);
      textarea.focus();
      return;
    }
    const share = {
      secretariat: secretariat.checked,
      user_ids: [...audienceBox.querySelectorAll("input:checked")].map((box) => Number(box.value)),
    };
    $("annot-save").disabled = true;
    try {
      const saved =
        mode === "create" ? await create(selector, kind, text, share) : await update(item, kind === "note" ? { text, share } : { share });
      close(saved);
    } catch (error) {
      say(msg("Failed", { error: error.message }), true);
    } finally {
      $("annot-save").disabled = false;
    }
  });
  $("annot-cancel").addEventListener("click", () => close());
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !form.hidden) {
      event.preventDefault(); // the form closes, the panel stays
      close();
    }
  });

  // --- by keyboard: find a passage of the page on screen ----------------------------------------

  let timer = null;

  function snippet(index, where) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "annot-match";
    const before = index.text.slice(Math.max(0, where.start - CONTEXT), where.start);
    const after = index.text.slice(where.end, where.end + CONTEXT);
    const mark = document.createElement("mark");
    mark.textContent = index.text.slice(where.start, where.end);
    b.append(`…${before}`, mark, `${after}…`);
    b.addEventListener("click", () => choose(index, where));
    li.append(b);
    return li;
  }

  function runSearch() {
    const index = getIndex();
    const query = find.value.trim();
    matches.replaceChildren();
    if (!query) {
      findStatus.textContent = "";
      return;
    }
    if (!index) {
      findStatus.textContent = msg("NotReady");
      return;
    }
    const found = search(index, query);
    if (query.replace(/\s/g, "").length < 2) findStatus.textContent = msg("TypeMore");
    else if (!found.length) findStatus.textContent = msg("NoMatch", { page: index.page });
    else findStatus.textContent = msg("Matches", { count: found.length, page: index.page });
    matches.append(...found.map((where) => snippet(index, where)));
  }

  async function choose(index, where) {
    const kindBox = panel.querySelector("input[name='annot-kind']:checked");
    const kind = kindBox ? kindBox.value : "highlight";
    const selector = selectorAt(index, where.start, where.end, index.page);
    if (kind === "note") {
      compose(selector, "note");
      back = find;
      textarea.focus();
      return;
    }
    try {
      await create(selector, "highlight", "", null);
      find.value = "";
      runSearch();
      find.focus();
    } catch (error) {
      findStatus.textContent = msg("Failed", { error: error.message });
    }
  }

  if (!find) return { compose, edit, focusText: () => textarea.focus(), pageChanged() {} }; // an older version
  find.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(runSearch, SEARCH_MS);
  });
  find.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      window.clearTimeout(timer);
      runSearch();
      const first = matches.querySelector("button");
      if (first) first.focus();
    }
  });

  return {
    compose,
    edit,
    focusText: () => textarea.focus(),
    pageChanged: () => {
      if (find.value.trim()) runSearch();
    },
  };
}
