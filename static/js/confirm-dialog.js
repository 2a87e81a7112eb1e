// A form that must be confirmed once, in a dialog, before it is sent: every
// `form[data-confirm-dialog="ID"]` (finalizing the minutes, attaching the monthly report to the
// next session). Without JavaScript the form's confirmation box is the question (checked again
// by the server); with it, the box is hidden and ticked by the dialog's "ok" button, so nobody is
// asked twice and the server never refuses a confirmed form (issue 14, defect 10).

for (const form of document.querySelectorAll("form[data-confirm-dialog]")) {
  const dialog = document.getElementById(form.dataset.confirmDialog);
  const box = form.querySelector("input[name='confirm']");
  if (!dialog || !box || typeof dialog.showModal !== "function") continue;
  const field = box.closest(".field") || box.closest(".field-check") || box;
  field.hidden = true;
  let confirmed = false;
  form.addEventListener("submit", (event) => {
    if (confirmed) return;
    event.preventDefault();
    dialog.returnValue = "";
    dialog.showModal();
  });
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "ok") return;
    confirmed = true;
    box.checked = true;
    form.requestSubmit();
  });
}
