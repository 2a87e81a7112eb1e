// The member's tablet (templates/live/tablet.html): the agenda with the current item followed
// live, its papers one tap away, "ask to speak", and the vote panel. State comes from the live
// feed (live.js); what is this viewer's own (eligible for the open vote, voted, the choice)
// comes with the snapshot and, for a vote opened since, from the electorate in `vote.opened`.
//
// Voting: choose, confirm, send with an Idempotency-Key made per confirmed choice; a retry
// after a network failure resends the same key, so the ballot is never counted twice. A
// secret choice is kept in memory only, never stored or sent anywhere but the ballot itself.

import { announcer } from "./announce.js";
import {
  api,
  clock,
  connect,
  currentItem,
  el,
  labelsOf,
  messagesOf,
  newKey,
  replace,
  showDocumentNotice,
  speakerSeconds,
} from "./live.js";

const CHOICES = ["yes", "no", "abstain"];

const root = document.getElementById("tablet");
if (root) start(root);

function start(root) {
  const meetingId = Number(root.dataset.meeting);
  const labels = labelsOf(root);
  const msg = messagesOf(root);
  const $ = (id) => document.getElementById(id);
  const label = (group, code) => (labels[group] && labels[group][code]) || code || "";
  const errorBox = $("tablet-error");
  // vote id -> {eligible, hasVoted, choice}: what the server says about this viewer's ballot.
  const mine = new Map();
  const asked = new Set(); // vote ids whose personal view was fetched (or is being fetched)
  // The ballot in hand: {voteId, stage: choose|confirm|sending|retry|done, choice, key, error}.
  let ballot = null;
  let errorTimer = null;

  const state = () => client.state;
  const announce = announcer();
  const viewer = () => (state() && state().viewer) || {};

  function showError(error) {
    errorBox.textContent = (error && error.message) || String(error);
    errorBox.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => (errorBox.hidden = true), 10000);
  }

  async function run(button, method, path, body) {
    if (button) button.disabled = true;
    try {
      const answer = await api(method, path, body);
      errorBox.hidden = true;
      return answer;
    } catch (error) {
      showError(error);
      return null;
    } finally {
      if (button) button.disabled = false;
    }
  }

  // --- what is mine ------------------------------------------------------------------------

  function learnFromSnapshot(s) {
    for (const vote of s.votes) {
      if ("eligible_me" in vote || "has_voted" in vote) {
        const known = mine.get(vote.id) || {};
        mine.set(vote.id, {
          eligible: Boolean(vote.eligible_me),
          hasVoted: Boolean(vote.has_voted),
          choice: vote.my_choice || known.choice || null,
        });
        asked.add(vote.id);
      }
    }
  }

  // A vote just opened: its electorate says whether this member may vote, with nothing to ask
  // (500 tablets asking at once would each wait their turn). Older events lack it: ask then.
  function opened(data) {
    const me = viewer();
    if (!Array.isArray(data.electorate) || !me.can_vote) {
      ask(data.vote_id);
      return;
    }
    asked.add(data.vote_id);
    mine.set(data.vote_id, { eligible: data.electorate.includes(me.member_id), hasVoted: false, choice: null });
  }

  async function ask(voteId) {
    if (asked.has(voteId) || !viewer().can_vote) return;
    asked.add(voteId);
    try {
      const found = await api("GET", `/votes/${voteId}`);
      const known = mine.get(voteId) || {};
      mine.set(voteId, {
        eligible: Boolean(found.eligible_me),
        hasVoted: Boolean(found.has_voted),
        choice: found.my_choice || known.choice || null,
      });
    } catch {
      asked.delete(voteId); // try again on the next change
    }
    render();
  }

  function openVote(s) {
    return s.votes.find((v) => v.state === "open") || null;
  }

  // --- the vote panel ----------------------------------------------------------------------

  async function send() {
    const vote = state().votes.find((v) => v.id === ballot.voteId);
    ballot.stage = "sending";
    renderVote();
    try {
      const answer = await api("POST", `/votes/${ballot.voteId}/ballots`, { choice: ballot.choice }, { "Idempotency-Key": ballot.key });
      mine.set(ballot.voteId, {
        eligible: true,
        hasVoted: true,
        choice: answer && answer.choice ? answer.choice : ballot.choice,
      });
      ballot.stage = "done";
    } catch (error) {
      if (error.status === 0 || error.status >= 500) {
        ballot.stage = "retry"; // the same key goes again
        ballot.error = error.message;
      } else {
        ballot = null;
        showError(error);
        if (error.status === 403 && vote) mine.set(vote.id, { eligible: false, hasVoted: false, choice: null });
      }
    }
    render();
  }

  // The choices: one group named by the question; each button says its choice and the question
  // (a blind voter tells them apart, OpenSlides client issue #4397), and the chosen one is pressed.
  function choiceButtons(vote, pressed, onchoose) {
    return el(
      "div",
      { class: "vote-choices", role: "group", "aria-labelledby": "vote-question" },
      CHOICES.map((choice) =>
        el("button", {
          type: "button",
          class: `btn vote-choice vote-${choice}`,
          dataset: { choice, key: `choice-${choice}` },
          "aria-label": `${label("choice", choice)}: ${vote.question}`,
          "aria-pressed": choice === pressed ? "true" : "false",
          text: label("choice", choice),
          onclick: () => onchoose(choice),
        }),
      ),
    );
  }

  // After a step taken by the member, the focus goes where the next step is (the button it was on
  // is gone): the confirm button, the "voted" line, the first choice.
  let focusNext = null;
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  function renderVote() {
    const s = state();
    const panel = $("vote-panel");
    const vote = s ? openVote(s) : null;
    const me = vote ? mine.get(vote.id) : null;
    if (vote && viewer().can_vote && !asked.has(vote.id)) ask(vote.id);
    if (!vote || !viewer().can_vote || !me || !me.eligible) {
      panel.hidden = true;
      if (!vote) ballot = null;
      return;
    }
    const appeared = panel.hidden || panel.dataset.vote !== String(vote.id);
    panel.hidden = false;
    panel.dataset.vote = String(vote.id);
    if (appeared) panel.scrollIntoView({ block: "start", behavior: reducedMotion.matches ? "auto" : "smooth" });
    $("vote-question").textContent = vote.question;
    replace($("vote-kind"), [el("span", { class: "badge badge-doc", text: vote.secret ? msg("Secret") : msg("Named") })]);
    $("vote-progress").textContent = msg("Cast", { cast: vote.cast, eligible: vote.eligible });
    if (ballot && ballot.voteId !== vote.id) ballot = null;
    if (!ballot) ballot = { voteId: vote.id, stage: me.hasVoted ? "done" : "choose", choice: me.choice, key: null };
    if (ballot.stage === "done" && me.choice && !ballot.choice) ballot.choice = me.choice;
    panel.dataset.stage = ballot.stage;
    // Only a new step redraws the panel: a count that moves leaves the focus where it is.
    const view = [vote.id, ballot.stage, ballot.choice, me.choice, vote.secret, vote.question].join("|");
    if (panel.dataset.view === view && !focusNext) return;
    panel.dataset.view = view;
    const choose = (choice) => {
      ballot = { voteId: vote.id, stage: "confirm", choice, key: null };
      focusNext = "vote-confirm";
      renderVote();
    };
    const again = () => {
      ballot = { voteId: vote.id, stage: "choose", choice: null, key: null };
      focusNext = "choice";
      renderVote();
    };
    const backButton = () => el("button", { type: "button", class: "btn", dataset: { key: "back" }, text: msg("Back"), onclick: again });
    const chosen = (text) => el("p", { class: "vote-chosen", text });
    const body = [];
    let status = null;
    if (ballot.stage === "choose") {
      body.push(choiceButtons(vote, me.hasVoted && !vote.secret ? me.choice : null, choose));
    } else if (ballot.stage === "confirm") {
      status = chosen(msg("YouChose", { choice: label("choice", ballot.choice) }));
      body.push(
        choiceButtons(vote, ballot.choice, choose),
        el(
          "div",
          { class: "vote-confirm" },
          el("button", {
            type: "button",
            class: "btn btn-primary vote-confirm-btn",
            id: "vote-confirm",
            dataset: { key: "confirm" },
            text: msg("Confirm"),
            onclick: () => {
              ballot.key = newKey(); // one key per confirmed choice
              focusNext = "vote-done";
              send();
            },
          }),
          backButton(),
        ),
      );
    } else if (ballot.stage === "sending") {
      status = chosen(msg("Sending"));
    } else if (ballot.stage === "retry") {
      status = chosen(msg("YouChose", { choice: label("choice", ballot.choice) }));
      body.push(
        el("p", { class: "notice notice-error", text: msg("NotSent", { error: ballot.error || "" }) }),
        el(
          "div",
          { class: "vote-confirm" },
          el("button", { type: "button", class: "btn btn-primary", dataset: { key: "retry" }, text: msg("Retry"), onclick: send }),
          backButton(),
        ),
      );
    } else {
      const choice = ballot.choice || me.choice;
      status = el("p", {
        class: "vote-done",
        id: "vote-done",
        tabindex: "-1",
        dataset: { choice: choice || "" },
        text: choice ? msg("Voted", { choice: label("choice", choice) }) : msg("VotedSecret"),
      });
      if (vote.secret) body.push(el("p", { class: "small muted", text: msg("SecretNote") }));
      else body.push(el("button", { type: "button", class: "btn", dataset: { key: "change" }, text: msg("Change"), onclick: again }));
    }
    replace($("vote-status"), [status]);
    replace($("vote-body"), body);
    const target = focusNext;
    focusNext = null;
    if (target === "choice") {
      const first = $("vote-body").querySelector(".vote-choice");
      if (first) first.focus();
    } else if (target && $(target)) {
      $(target).focus();
    } else if (target === "vote-done" && ballot.stage === "sending") {
      focusNext = target; // still on its way: the focus follows once it is
    }
  }

  // --- the current item and the agenda ---------------------------------------------------------

  function documentsOf(item) {
    if (!item.documents || !item.documents.length) return null;
    return el(
      "ul",
      { class: "doc-list" },
      item.documents.map((doc) =>
        el(
          "li",
          {},
          el("span", { class: "badge badge-doc", text: label("document_kind", doc.kind) }),
          el("a", { href: `/documents/${doc.id}/read`, class: "doc-read", text: doc.title }),
          el("span", { class: "muted small", text: msg("Pages", { version: doc.version, pages: doc.pages }) }),
        ),
      ),
    );
  }

  function resultOf(vote) {
    const r = vote.result;
    return el(
      "div",
      { class: "tablet-result", dataset: { vote: String(vote.id) } },
      el("p", { class: "small", text: msg("VoteResult", { question: vote.question }) }),
      el("p", { text: msg("Result", r) }),
      el("span", { class: `badge ${r.adopted ? "badge-ok" : "badge-refused"}`, text: r.adopted ? msg("Adopted") : msg("Rejected") }),
    );
  }

  function mayAsk() {
    const v = viewer();
    const roles = v.roles || [];
    return roles.includes("guest") || (roles.includes("member") && v.member_id !== null && v.member_id !== undefined);
  }

  function renderSpeak(s, current) {
    const box = $("speak");
    if (!current || s.meeting.state !== "in_progress" || current.title === undefined) {
      replace(box, []);
      return;
    }
    const queue = s.speakers.filter((sp) => sp.agenda_item_id === current.id && (sp.state === "requested" || sp.state === "speaking"));
    const speaking = queue.find((sp) => sp.state === "speaking");
    const waiting = queue.filter((sp) => sp.state === "requested");
    const lines = [];
    if (speaking) {
      lines.push(
        el(
          "p",
          { class: "now-speaking" },
          msg("Speaking", { name: speaking.name }),
          " ",
          el("span", { class: "speaker-timer", dataset: { speakerTimer: String(speaking.id) } }),
        ),
      );
    }
    if (waiting.length) lines.push(el("p", { class: "small muted", text: msg("Queue", { count: waiting.length }) }));
    if (mayAsk()) {
      const me = queue.find((sp) => sp.user_id === viewer().user_id);
      if (!me) {
        lines.push(
          el("button", {
            type: "button",
            class: "btn btn-primary speak-btn",
            id: "ask-to-speak",
            dataset: { key: "ask" },
            text: msg("Ask"),
            onclick: (e) => run(e.currentTarget, "POST", `/agenda-items/${current.id}/speakers`),
          }),
        );
      } else if (me.state === "requested") {
        lines.push(
          el("p", { class: "speak-waiting", text: msg("Waiting", { rank: waiting.indexOf(me) + 1 }) }),
          el("button", {
            type: "button",
            class: "btn speak-btn",
            id: "withdraw",
            dataset: { key: "withdraw", speaker: String(me.id) },
            text: msg("Withdraw"),
            onclick: (e) => run(e.currentTarget, "DELETE", `/speakers/${me.id}`),
          }),
        );
      } else {
        lines.push(el("p", { class: "speak-now badge badge-in_progress", text: msg("YouSpeak") }));
      }
    }
    replace(box, lines);
  }

  function renderNow(s) {
    const current = currentItem(s);
    const box = $("now");
    box.dataset.item = current ? String(current.id) : "";
    if (!current) {
      const why = { published: "NotStarted", draft: "NotStarted", adjourned: "Adjourned" }[s.meeting.state] || "NoCurrent";
      replace(box, [el("p", { class: "empty", text: msg(why) })]);
    } else if (current.title === undefined) {
      replace(box, [
        el("p", { class: "eyebrow", text: msg("Position", { position: current.position }) }),
        el("p", { class: "now-title", id: "now-title", text: msg("Restricted") }),
        el("p", { class: "muted", text: msg("RestrictedNote") }),
      ]);
    } else {
      const closed = s.votes.filter((v) => v.agenda_item_id === current.id && v.state === "closed" && v.result);
      replace(box, [
        el("p", { class: "eyebrow", text: msg("Position", { position: current.position }) }),
        el("p", { class: "now-title", id: "now-title", text: current.title }),
        current.presenter ? el("p", { class: "muted", text: msg("Presenter", { name: current.presenter }) }) : null,
        documentsOf(current),
        current.outcome ? el("p", { class: "badges" }, el("span", { class: "badge badge-ok", text: label("outcome", current.outcome) })) : null,
        closed.length ? resultOf(closed[closed.length - 1]) : null,
      ]);
    }
    renderSpeak(s, current);
  }

  function renderAgenda(s) {
    const currentId = s.meeting.current_item_id;
    replace(
      $("tablet-agenda"),
      s.agenda.map((item) => {
        const isCurrent = item.id === currentId;
        const classes = `agenda-row live-row item-${item.state}${isCurrent ? " is-current" : ""}`;
        if (item.title === undefined) {
          return el(
            "li",
            { class: `${classes} agenda-restricted`, id: `item-${item.id}`, "aria-current": isCurrent ? "step" : null },
            el("span", { class: "pos", text: String(item.position) }),
            el(
              "div",
              { class: "agenda-main" },
              el("p", { class: "agenda-title", text: msg("Restricted") }),
              el("p", { class: "agenda-meta muted", text: msg("RestrictedNote") }),
            ),
          );
        }
        const badges = [];
        if (isCurrent) badges.push(el("span", { class: "badge badge-in_progress", text: msg("Current") }));
        else if (item.state === "done") badges.push(el("span", { class: "badge", text: label("agenda_state", "done") }));
        if (item.consent) badges.push(el("span", { class: "badge badge-consent", text: msg("Consent") }));
        if (item.outcome) badges.push(el("span", { class: "badge badge-ok", text: label("outcome", item.outcome) }));
        return el(
          "li",
          { class: classes, id: `item-${item.id}`, "aria-current": isCurrent ? "step" : null, dataset: { item: String(item.id) } },
          el("span", { class: "pos", text: String(item.position) }),
          el(
            "div",
            { class: "agenda-main" },
            el("p", { class: "agenda-title", text: item.title }),
            item.presenter ? el("p", { class: "agenda-meta", text: msg("Presenter", { name: item.presenter }) }) : null,
            badges.length ? el("p", { class: "badges" }, badges) : null,
            item.conclusion ? el("p", { class: "conclusion small", text: msg("Conclusion", { text: item.conclusion }) }) : null,
            documentsOf(item),
          ),
          el("span", { class: "minutes", text: item.minutes ? msg("Minutes", { minutes: item.minutes }) : "" }),
        );
      }),
    );
  }

  function render() {
    const s = state();
    if (!s) return;
    const badge = $("meeting-state");
    badge.textContent = label("meeting_state", s.meeting.state);
    badge.className = `badge badge-state badge-${s.meeting.state}`;
    const positions = $("positions-notice"); // pre-session positions: only until the start
    if (positions) positions.hidden = s.meeting.state !== "published";
    renderVote();
    renderNow(s);
    renderAgenda(s);
    announce(s);
    tick();
  }

  function tick() {
    const s = state();
    if (!s) return;
    const now = client.now();
    for (const node of document.querySelectorAll("[data-speaker-timer]")) {
      const sp = s.speakers.find((x) => String(x.id) === node.dataset.speakerTimer);
      if (sp) node.textContent = clock(speakerSeconds(sp, now));
    }
  }

  const client = connect({
    meetingId,
    onChange: (_client, change) => {
      if (change.type === "snapshot") learnFromSnapshot(state());
      if (change.type === "event" && change.kind === "vote.opened") opened(change.data);
      render();
    },
    onNotice: (kind, data) => kind === "document.updated" && showDocumentNotice(data),
  });
  setInterval(tick, 1000);
}
