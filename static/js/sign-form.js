// The signing forms (form[data-sign-api]): the PIN goes to the JSON API instead of the page's
// POST, so a wrong PIN is answered in place (the field cleared and focused, the message read out)
// and, on the console, a signature never reloads the live page. Without JavaScript the form
// posts to its page route and the page shows the same result (meeting_app/pages/signing.py).
import { api } from "./csrf.js";

// Times are shown in Vietnam's time zone, as everywhere in the app (docs/i18n.md).
const WHEN = { timeZone: "Asia/Ho_Chi_Minh", hour12: false, dateStyle: "short", timeStyle: "medium" };

for (const form of document.querySelectorAll("form[data-sign-api]")) {
  const pin = form.querySelector("input[name='pin']");
  const error = form.querySelector(".sign-error");
  const status = form.querySelector(".sign-status");
  const button = form.querySelector("button[type='submit']");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!pin.value) {
      error.textContent = form.dataset.msgPin || pin.labels[0].textContent;
      error.hidden = false;
      pin.focus();
      return;
    }
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    status.textContent = form.dataset.msgSigning || "…";
    try {
      const signed = await api("POST", form.dataset.signApi, { pin: pin.value });
      pin.value = "";
      if (form.dataset.after === "reload") {
        const url = new URL(window.location.href);
        url.searchParams.set("ok", "signed");
        url.hash = form.closest("section") ? form.closest("section").id : "";
        window.location.assign(url.toString());
        return;
      }
      status.textContent = (form.dataset.msgDone || "{signer} · {time}")
        .replace("{signer}", signed.signer)
        .replace("{time}", new Date(signed.signed_at).toLocaleString(document.documentElement.lang || "vi", WHEN));
      for (const node of form.querySelectorAll(".field, button")) node.hidden = true;
      form.dispatchEvent(new CustomEvent("signed", { bubbles: true, detail: signed }));
    } catch (failure) {
      status.textContent = "";
      error.textContent = failure.message;
      error.hidden = false;
      pin.value = "";
      pin.focus();
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });
}
