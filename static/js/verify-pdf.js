// The verification page (templates/signatures/verify.html): a progressive enhancement of a plain
// multipart form that works without JavaScript. Here: a PDF can be dropped on the file box; a
// file that is too large or not a PDF is refused before it is sent, with the reason beside the
// box; the button says it is checking; and a result brought back by the server gets the focus,
// so that a screen reader reads the verdict first.

const form = document.getElementById("verify-form");
const input = document.getElementById("verify-file");
const zone = document.getElementById("drop-zone");
const chosen = document.getElementById("verify-file-chosen");
const problem = document.getElementById("verify-file-problem");
const button = document.getElementById("verify-submit");
const heading = document.getElementById("verify-result-heading");
const hint = "verify-file-hint";

if (heading && document.activeElement !== heading) heading.focus();

function isPdf(file) {
  return file.type === "application/pdf" || /\.pdf$/i.test(file.name);
}

function refusal(file) {
  if (!file) return "";
  if (file.size > Number(form.dataset.maxBytes)) return form.dataset.msgTooLarge;
  if (!isPdf(file)) return form.dataset.msgNotPdf;
  return "";
}

function show() {
  const file = input.files && input.files[0];
  chosen.textContent = file ? form.dataset.msgChosen.replace("{name}", file.name) : "";
  const message = refusal(file);
  problem.textContent = message;
  problem.hidden = !message;
  if (message) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", `${hint} ${problem.id}`);
  } else {
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", hint);
  }
  return !message;
}

if (form && input && zone && button) {
  const label = button.textContent;
  input.addEventListener("change", show);
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("is-over");
    });
  }
  for (const name of ["dragleave", "dragend"]) {
    zone.addEventListener(name, () => zone.classList.remove("is-over"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("is-over");
    const files = event.dataTransfer && event.dataTransfer.files;
    if (!files || !files.length) return;
    const one = new DataTransfer();
    one.items.add(files[0]);
    input.files = one.files;
    show();
  });
  form.addEventListener("submit", (event) => {
    if (!show()) {
      event.preventDefault();
      input.focus();
      return;
    }
    button.disabled = true;
    button.textContent = form.dataset.msgChecking;
  });
  // Back from the browser's cache after a submit: the button works again.
  window.addEventListener("pageshow", () => {
    button.disabled = false;
    button.textContent = label;
  });
}
