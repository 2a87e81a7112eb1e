// The minutes page: finalizing asks once, in a dialog, before the form is sent. Without
// JavaScript the form's confirmation box is the question (checked again by the server); with
// it, the box is hidden and ticked by the dialog's "finalize", so nobody is asked twice and the
// server never refuses a confirmed finalization (issue 14, defect 10).

const form = document.getElementById("finalize-form");
const dialog = form ? document.getElementById(form.dataset.confirmDialog) : null;
const box = form ? form.querySelector("input[name='confirm']") : null;

if (form && dialog && box && typeof dialog.showModal === "function") {
  const field = box.closest(".field") || box;
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
