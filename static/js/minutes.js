// The minutes page: finalizing asks once more in a dialog before the form is sent. Without
// JavaScript the form still needs its confirmation box ticked (checked again by the server).

const form = document.getElementById("finalize-form");
const dialog = form ? document.getElementById(form.dataset.confirmDialog) : null;

if (form && dialog && typeof dialog.showModal === "function") {
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
    form.requestSubmit();
  });
}
