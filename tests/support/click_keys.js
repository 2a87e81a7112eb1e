// The click recorder's page side (tests/support/clicks.py), added to every browser context the
// tests create. One KEY names a button or a form the same way whatever the language or the ids:
//   "<route> | <method> <action> | <control>"   for a control inside a form,
//   "<route> | button | <control>"              for a scripted button outside any form,
// where <route> is the page's path with numbers replaced by {id} ("*" for the controls of the
// layout every page shares: inside [data-click-scope=layout]), <action> the form's action the
// same way ("." for the page itself), and <control> the button's data-action, name=value, id,
// value or, failing all of those, its classes. Never the localized text.
(() => {
  const ids = (path) => path.replace(/\/\d+(?=\/|$)/g, "/{id}").replace(/\d+/g, "{n}");
  const route = () => ids(location.pathname);
  const routeOf = (el) => (el.closest("[data-click-scope=layout]") ? "*" : route());
  const BUTTONS = 'button, input[type=submit], input[type=button], input[type=reset], input[type=image]';

  function actionOf(form) {
    const raw = form.getAttribute("action");
    if (raw === null || raw === "") return ".";
    try {
      const url = new URL(raw, location.href);
      return url.origin === location.origin ? ids(url.pathname) : "external";
    } catch (e) {
      return "invalid";
    }
  }

  function controlOf(el, scope) {
    const action = el.getAttribute("data-action");
    if (action) return `action=${ids(action)}`;
    const name = el.getAttribute("name");
    if (name) return `${name}=${ids(el.getAttribute("value") || "")}`;
    if (el.id) return `#${ids(el.id)}`;
    const value = el.getAttribute("value");
    if (value && el.type === "submit") return `value=${ids(value)}`;
    // Its classes (not the state or look ones): the buttons repeated on each row of a list (the
    // roll call's "present") are one control, and a test that clicks one of them covers it.
    const classes = Array.from(el.classList).filter((c) => !/^(btn|btn-[a-z]+|is-.*|has-.*)$/.test(c));
    return classes.length ? `.${classes.sort().join(".")}` : el.tagName.toLowerCase();
  }

  function scopeOf(el) {
    return (el.parentElement && el.parentElement.closest("[id]:not(form)")) || document.body;
  }

  function keyOf(el) {
    const form = el.tagName === "FORM" ? el : el.form || el.closest("form");
    if (form) {
      const method = (form.getAttribute("method") || "get").toLowerCase();
      const head = `${routeOf(el)} | ${method} ${actionOf(form)}`;
      if (el === form) {
        const first = form.querySelector('button:not([type=button]):not([type=reset]), input[type=submit], input[type=image]');
        return first ? keyOf(first) : `${head} | form`;
      }
      return `${head} | ${controlOf(el, form)}`;
    }
    const scope = scopeOf(el);
    const control = controlOf(el, scope);
    const where = scope === document.body || control.startsWith("#") ? "" : `#${ids(scope.id)} `;
    return `${routeOf(el)} | button | ${where}${control}`;
  }

  function inventory() {
    const keys = new Set();
    for (const el of document.querySelectorAll(BUTTONS)) keys.add(keyOf(el));
    for (const form of document.querySelectorAll("form")) {
      if (!form.querySelector(BUTTONS)) keys.add(keyOf(form));
    }
    return Array.from(keys).sort();
  }

  function record(key) {
    if (typeof window.__ecabRecordClick === "function") {
      try {
        window.__ecabRecordClick(key);
      } catch (e) {
        // the page is going away; the next click records again
      }
    }
  }

  Object.defineProperty(window, "__ecabKeys", { value: { keyOf, inventory, route } });
  window.addEventListener("click", (event) => {
    if (!event.isTrusted || !(event.target instanceof Element)) return;
    const el = event.target.closest(BUTTONS);
    if (el) record(keyOf(el));
  }, true);
  window.addEventListener("submit", (event) => {
    if (!(event.target instanceof HTMLFormElement)) return;
    record(keyOf(event.submitter || event.target));
  }, true);
})();
