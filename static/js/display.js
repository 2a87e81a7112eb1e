// The room display (templates/live/display.html): the current item, who has the floor and for
// how long, the count of ballots while a vote is open, then its result as bars. Read-only; it
// follows the live feed (live.js). Bar widths are set through element.style, which the CSP
// allows (it forbids only style attributes and <style> in the markup).

import { announcer } from "./announce.js";
import { clock, connect, currentItem, hhmm, labelsOf, messagesOf, speakerSeconds } from "./live.js";

const root = document.getElementById("display");
if (root) start(root);

function start(root) {
  const meetingId = Number(root.dataset.meeting);
  const labels = labelsOf(root);
  const msg = messagesOf(root);
  const $ = (id) => document.getElementById(id);
  const label = (group, code) => (labels[group] && labels[group][code]) || code || "";

  for (const node of document.querySelectorAll("[data-choice-label]")) {
    node.textContent = label("choice", node.dataset.choiceLabel);
  }

  const state = () => client.state;
  const announce = announcer();

  // The vote to show: the open one; otherwise the last closed vote of the current item.
  function shownVote(s) {
    const open = s.votes.find((v) => v.state === "open");
    if (open) return open;
    const current = currentItem(s);
    if (!current) return null;
    const closed = s.votes.filter((v) => v.agenda_item_id === current.id && v.state === "closed" && v.result);
    return closed.length ? closed[closed.length - 1] : null;
  }

  function renderNow(s) {
    const current = currentItem(s);
    if (!current) {
      const why = { published: "NotStarted", draft: "NotStarted", adjourned: "Adjourned" }[s.meeting.state] || "NoCurrent";
      $("display-position").textContent = "";
      $("display-title").textContent = s.meeting.title;
      $("display-presenter").textContent = msg(why);
      return;
    }
    $("display-position").textContent = msg("Position", { position: current.position });
    const hidden = current.title === undefined;
    $("display-title").textContent = hidden ? msg("Restricted") : current.title;
    $("display-presenter").textContent = !hidden && current.presenter ? msg("Presenter", { name: current.presenter }) : "";
  }

  function renderVote(s) {
    const box = $("display-vote");
    const vote = shownVote(s);
    box.hidden = !vote;
    root.classList.toggle("has-vote", Boolean(vote));
    if (!vote) return;
    box.dataset.vote = String(vote.id);
    box.dataset.state = vote.state;
    $("vote-label").textContent = (vote.state === "open" ? msg("VoteOpen") : msg("VoteClosed")) + (vote.secret ? ` · ${msg("Secret")}` : "");
    $("display-question").textContent = vote.question;
    $("display-count").textContent = msg("Cast", { cast: vote.cast, eligible: vote.eligible });
    const bars = $("bars");
    const result = vote.state === "closed" ? vote.result : null;
    bars.hidden = !result;
    if (!result) {
      $("display-verdict").textContent = "";
      return;
    }
    const total = Math.max(1, result.total_membership || result.yes + result.no + result.abstain);
    for (const choice of ["yes", "no", "abstain"]) {
      const count = result[choice] || 0;
      $(`bar-${choice}`).style.width = `${Math.min(100, (count / total) * 100)}%`;
      $(`bar-value-${choice}`).textContent = String(count);
    }
    $("bar-note").textContent = `${msg("OfMembership", { total: result.total_membership })} · ${msg("Threshold")}`;
    const verdict = $("display-verdict");
    verdict.textContent = (result.adopted ? msg("Adopted") : msg("Rejected")) + (result.tie_broken_by_chair ? ` — ${msg("Tie")}` : "");
    verdict.className = `display-verdict ${result.adopted ? "is-adopted" : "is-rejected"}`;
  }

  function render() {
    const s = state();
    if (!s) return;
    renderNow(s);
    renderVote(s);
    announce(s);
    tick();
  }

  function tick() {
    const s = state();
    if (!s) return;
    const now = client.now();
    $("display-clock").textContent = hhmm(now);
    const current = currentItem(s);
    const speaking = current ? s.speakers.find((sp) => sp.agenda_item_id === current.id && sp.state === "speaking") : null;
    const box = $("display-speaker");
    box.hidden = !speaking;
    if (speaking) {
      $("speaker-name").textContent = speaking.name;
      const seconds = speakerSeconds(speaking, now);
      $("speaker-timer").textContent = clock(seconds);
      box.classList.toggle("is-over", seconds > (s.speaker_warning_seconds || 300));
    }
  }

  const fullscreen = $("fullscreen");
  if (!document.fullscreenEnabled) fullscreen.hidden = true;
  fullscreen.addEventListener("click", () => {
    document.documentElement.requestFullscreen().catch(() => {});
  });
  document.addEventListener("fullscreenchange", () => {
    fullscreen.hidden = Boolean(document.fullscreenElement);
  });

  const client = connect({ meetingId, onChange: () => render() });
  setInterval(tick, 1000);
}
