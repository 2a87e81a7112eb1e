// Pre-session positions on the meeting page (templates/meetings/_position.html, docs/positions.md).
//
// Each item's form works without JavaScript (a post and a redirect); here it is sent to the JSON
// API instead, and the page stays where it is: the chosen button is marked, the status line says
// so, and an objection that took the item out of the consent block drops its badge.

import { api } from "./csrf.js";

for (const form of document.querySelectorAll("form[data-position-form]")) wire(form);

function wire(form) {
  const status = form.querySelector("[data-position-status]");
  const buttons = [...form.querySelectorAll("button[name=position]")];
  const comment = form.querySelector("textarea[name=comment]");
  const say = (text, error = false) => {
    status.textContent = text;
    status.classList.toggle("is-error", error);
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.submitter && event.submitter.name === "position" ? event.submitter : null;
    if (!button) return;
    buttons.forEach((b) => (b.disabled = true));
    say(form.dataset.msgSending || "");
    try {
      const body = { position: button.value };
      if (comment && comment.value.trim()) body.comment = comment.value.trim();
      const answer = await api("PUT", `/api/v1/meetings/${form.dataset.meeting}/positions/${form.dataset.item}`, body);
      for (const b of buttons) b.setAttribute("aria-pressed", String(b.value === answer.position));
      say(form.dataset.msgSaved || "");
      if (answer.consent === false) leftConsent(form);
    } catch (error) {
      say((error && error.message) || String(error), true);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  });
}

// The item is no longer in the consent block: drop its badge and say why, once.
function leftConsent(form) {
  const row = form.closest("li");
  const badge = row && row.querySelector(".badge-consent");
  if (!badge) return;
  const note = document.createElement("span");
  note.className = "badge badge-warn consent-left";
  note.textContent = form.dataset.msgLeft || "";
  badge.replaceWith(note);
}
