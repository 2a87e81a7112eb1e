// The briefing book page: poll the book until it is built, show the progress, then open it.
// HEAD requests, so waiting logs no read receipt; only opening the PDF itself does.

const root = document.getElementById("book");
const bar = document.getElementById("book-progress");
const status = document.getElementById("book-status");

function say(template, values) {
  status.textContent = template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function wait(seconds) {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}

async function failure(url) {
  // HEAD answers carry no body: ask again with GET for the message in the user's language.
  try {
    const response = await fetch(url, {
      headers: { Accept: "application/json", "Accept-Language": document.documentElement.lang || "vi" },
      credentials: "same-origin",
      cache: "no-store",
    });
    const body = await response.json();
    return (body && body.error && body.error.message) || String(response.status);
  } catch {
    return "";
  }
}

async function poll(url) {
  let misses = 0;
  for (;;) {
    let response;
    try {
      response = await fetch(url, { method: "HEAD", credentials: "same-origin", cache: "no-store" });
    } catch {
      misses += 1;
      say(root.dataset.msgOffline, {});
      await wait(Math.min(10, 2 * misses));
      continue;
    }
    misses = 0;
    if (response.status === 200) {
      bar.value = 100;
      say(root.dataset.msgReady, {});
      window.location.assign(url);
      return;
    }
    if (response.status === 202) {
      const progress = Number(response.headers.get("X-Book-Progress") || "0");
      bar.value = Math.max(bar.value, progress);
      bar.textContent = `${bar.value}%`;
      say(progress > 0 ? root.dataset.msgBuilding : root.dataset.msgQueued, { progress: `${bar.value}%` });
      const after = Number(response.headers.get("Retry-After") || "1");
      await wait(Number.isFinite(after) && after > 0 ? Math.min(after, 10) : 1);
      continue;
    }
    say(root.dataset.msgFailed, { error: await failure(url) });
    return;
  }
}

if (root && bar && status) {
  poll(root.dataset.url);
}
