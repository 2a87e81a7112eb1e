// The console's native <dialog>s (templates/live/console.html): opened modal, so the rest of the
// page is inert and Tab stays inside; Escape closes (the browser's cancel); on close the focus
// goes back to what opened the dialog. Buttons marked data-close close their dialog.

const boxes = new WeakMap();

export function modal(dialog) {
  if (boxes.has(dialog)) return boxes.get(dialog);
  let opener = null;
  for (const button of dialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dialog.close("cancel"));
  }
  dialog.addEventListener("close", () => {
    const back = opener;
    opener = null;
    if (back && back.isConnected && !back.disabled && !back.hidden) back.focus();
    else document.getElementById("main")?.focus();
  });
  const box = {
    dialog,
    open(from, first) {
      opener = from || document.activeElement;
      // The browser gives the focus back to what had it at showModal(): make that the opener
      // (a shortcut may open a dialog while the focus is elsewhere).
      if (opener && opener !== document.activeElement && typeof opener.focus === "function") opener.focus();
      dialog.returnValue = "";
      if (typeof dialog.showModal === "function") dialog.showModal();
      else dialog.setAttribute("open", "");
      const target = first || dialog.querySelector("input:not([type=hidden]), select, textarea, button");
      if (target) target.focus();
    },
    close(value = "") {
      if (dialog.open) dialog.close(value);
    },
    get isOpen() {
      return dialog.open;
    },
  };
  boxes.set(dialog, box);
  return box;
}

// Ask in `dialog` (a form method="dialog" with an "ok" button); resolves true on "ok".
export function confirmIn(dialog, from) {
  const box = modal(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    box.open(from, dialog.querySelector("button[value='ok']"));
  });
}
