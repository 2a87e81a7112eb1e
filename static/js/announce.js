// The live region of the tablet and the room display (templates/live/_announce.html): after each
// change of the live state it says, once, what a sighted person sees change on screen: the
// current item, a vote opening, a vote's result, the session's end. The first state a screen
// loads is taken as known and not read out.

import { currentItem, messagesOf } from "./live.js";

export function announcer() {
  const region = document.getElementById("live-announce");
  if (!region) return () => {};
  const msg = messagesOf(region);
  let known = null; // what was last said: {item, open: Set, closed: Set, state}
  let timer = null;
  let pending = []; // changes that came close together are said together

  function say(lines) {
    if (!lines.length) return;
    pending.push(...lines);
    // Emptied first, then filled: the same sentence twice is still read twice.
    region.textContent = "";
    clearTimeout(timer);
    timer = setTimeout(() => {
      region.textContent = pending.join(" ");
      pending = [];
    }, 100);
  }

  function itemLine(item) {
    const title = item.title === undefined ? msg("Restricted") : item.title;
    return msg("Item", { position: item.position, title });
  }

  function resultLine(vote) {
    const r = vote.result;
    return msg("VoteResult", {
      question: vote.question,
      verdict: r.adopted ? msg("Adopted") : msg("Rejected"),
      counts: msg("Counts", { yes: r.yes || 0, no: r.no || 0, abstain: r.abstain || 0 }),
    });
  }

  return (state) => {
    if (!state) return;
    const current = currentItem(state);
    const now = {
      item: current ? current.id : null,
      open: new Set(state.votes.filter((v) => v.state === "open").map((v) => v.id)),
      closed: new Set(state.votes.filter((v) => v.state === "closed" && v.result).map((v) => v.id)),
      state: state.meeting.state,
    };
    const before = known;
    known = now;
    if (!before) return;
    const lines = [];
    if (current && now.item !== before.item) lines.push(itemLine(current));
    for (const vote of state.votes) {
      if (vote.state === "open" && !before.open.has(vote.id)) lines.push(msg("VoteOpen", { question: vote.question }));
      if (now.closed.has(vote.id) && !before.closed.has(vote.id)) lines.push(resultLine(vote));
    }
    if (now.state === "adjourned" && before.state !== "adjourned") lines.push(msg("Adjourned"));
    say(lines);
  };
}
