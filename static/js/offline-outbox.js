// Notes written with no connection (docs/offline.md "Notes offline"): each waits in IndexedDB's
// "outbox" (one per document and page: the latest text, and the note's updated_at it started
// from) until the connection returns. They are sent with `base_updated_at`: when the note
// changed on the server meanwhile, the server keeps both texts and answers `conflict: true`.
//
// Sending is serialised across the tabs (a Web Lock) and told to the pages with the
// "offline-notes-sent" event ({detail: [{url, page, text, updated_at, conflict}]}).

import { ApiError, api } from "./csrf.js";
import { currentUser, deleteQueued, exists, getQueued, outbox, putQueued } from "./offline-store.js";

export const SENT_EVENT = "offline-notes-sent";

// Whether a failed request failed for want of a network (then the note waits), not because
// the server refused it (then the member is told, as before).
export function isNetworkFailure(error) {
  return !(error instanceof ApiError) || error.status === 0 || error.status >= 502;
}

// Queue `text` for page `page` of the notes at `url`; `base` is the updated_at the member's text
// started from (null: there was no note). A note already waiting keeps its first base.
export async function queueNote(url, page, text, base) {
  const key = `${url}/${page}`;
  const waiting = await getQueued(key);
  await putQueued({
    key,
    url,
    page,
    text,
    base_updated_at: waiting ? waiting.base_updated_at : base,
    queued_at: new Date().toISOString(),
    user_id: currentUser(),
  });
}

// The waiting notes of one document (url -> its pages), for the reader to show.
export async function queuedFor(url) {
  if (!(await exists())) return [];
  return (await outbox()).filter((item) => item.url === url && item.user_id === currentUser());
}

async function sendAll() {
  const user = currentUser();
  const sent = [];
  for (const item of await outbox()) {
    if (item.user_id !== user) continue; // another user's: wiped with their device, never sent as ours
    let answer;
    try {
      answer = await api("PUT", `${item.url}/${item.page}`, {
        text: item.text,
        base_updated_at: item.base_updated_at,
      });
    } catch (error) {
      // Still offline, or signed out meanwhile (401, 403 for a stale CSRF token): later.
      if (isNetworkFailure(error) || error.status === 401 || error.status === 403) break;
      await deleteQueued(item.key); // refused (the page is gone, too long): it will never pass
      sent.push({ url: item.url, page: item.page, error: error.message });
      continue;
    }
    const now = await getQueued(item.key);
    if (now && now.queued_at === item.queued_at) await deleteQueued(item.key);
    sent.push({
      url: item.url,
      page: item.page,
      text: answer ? answer.text : "",
      updated_at: answer ? answer.updated_at : null,
      conflict: Boolean(answer && answer.conflict),
    });
  }
  return sent;
}

// Send every waiting note of the signed-in user; the results are also dispatched as an event.
export async function sendQueued() {
  if (currentUser() === null || !(await exists())) return [];
  const run = async () => {
    const sent = await sendAll();
    if (sent.length) window.dispatchEvent(new CustomEvent(SENT_EVENT, { detail: sent }));
    return sent;
  };
  if (navigator.locks && navigator.locks.request) {
    return navigator.locks.request("ecabinet-offline-outbox", run);
  }
  return run();
}
