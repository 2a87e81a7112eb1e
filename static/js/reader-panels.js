// The reader's side panels (the outline, the private notes, the annotations): a toolbar button
// `#toggle-<name>` opens and closes panel `#<name>`. Wider than 1000 px they sit beside the page;
// below, they are drawers over it and one is open at a time. Escape closes the panel it is
// pressed in (on a narrow screen, any open panel) and puts the focus back on its button; so
// does a panel's × (`data-close="<name>"`).

const FOCUSABLE = "input:not([disabled]):not([type=hidden]), textarea:not([disabled]), button:not([disabled])";

export function setupPanels({ names, coarse, focusers = {}, onClose = () => {} }) {
  const el = (id) => document.getElementById(id);
  const narrow = window.matchMedia("(max-width: 999px)");

  function setPanel(name, open) {
    el(name).hidden = !open;
    el(`toggle-${name}`).setAttribute("aria-expanded", String(open));
    if (open && narrow.matches) {
      for (const other of names) if (other !== name && !el(other).hidden) setPanel(other, false);
    }
  }

  function focusPanel(name) {
    const panel = el(name);
    const focus = (focusers[name] && focusers[name](panel)) || panel.querySelector(FOCUSABLE);
    if (focus) focus.focus();
  }

  function openPanel(name) {
    if (el(name).hidden) setPanel(name, true);
    focusPanel(name);
  }

  function closePanel(name) {
    onClose(name);
    setPanel(name, false);
    el(`toggle-${name}`).focus();
  }

  for (const name of names) {
    el(`toggle-${name}`).addEventListener("click", (event) => {
      const open = el(name).hidden;
      if (!open) onClose(name);
      setPanel(name, open);
      // A tap on a tablet leaves the focus (and the on-screen keyboard) alone; a key press or a
      // mouse click moves it into the panel.
      if (open && (!coarse || event.detail === 0)) focusPanel(name);
    });
  }
  document.querySelectorAll("[data-close]").forEach((button) => {
    button.addEventListener("click", () => closePanel(button.dataset.close));
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    const inside = event.target instanceof HTMLElement ? event.target.closest(".reader-panel") : null;
    for (const name of names) {
      if (!el(name).hidden && (inside === el(name) || (!inside && narrow.matches))) closePanel(name);
    }
  });

  return { setPanel, openPanel, isNarrow: () => narrow.matches };
}
