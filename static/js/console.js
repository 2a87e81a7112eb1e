// The presiding console (templates/live/console.html): the chair or the secretariat runs the
// session from here. Everything shown comes from the live feed (live.js); every button is one
// command to the JSON API, and its effect comes back through the feed like everyone else's.
//
// One screen (issue 14, build 11): the current item and its timer, the next items, the votes,
// the speakers and the roll call with quorum fit 1024x768 and up without scrolling; the longer
// forms (outcome and conclusion, a new vote) open in <dialog>s (console-dialogs.js).
//
// Keys (listed on the page, never while typing in a field or with a dialog open):
// N/ArrowRight next item, P/ArrowLeft previous, K outcome and conclusion, V new vote, O open the
// prepared vote, C close the open vote, F give the floor to the first waiting, X stop the speaker,
// A all present, / search the roll call, S start, T adopt the consent block, E adjourn.

import { confirmIn, modal } from "./console-dialogs.js";
import { allPresent, renderRoll } from "./console-roll.js";
import { spanText } from "./span.js";
import {
  api,
  clock,
  connect,
  currentItem,
  el,
  hhmm,
  itemSeconds,
  labelsOf,
  messagesOf,
  replace,
  showDocumentNotice,
  speakerSeconds,
} from "./live.js";

const NEAR = 0.8; // the item timer turns amber at 80% of its allotment, red past it
const TICK = 500; // ms
const LIVE = ["published", "in_progress"];

const root = document.getElementById("console");
if (root) start(root);

function start(root) {
  const meetingId = Number(root.dataset.meeting);
  const labels = labelsOf(root);
  const msg = messagesOf(root);
  let guests = [];
  try {
    guests = JSON.parse(root.dataset.guests || "[]");
  } catch {
    guests = [];
  }
  const $ = (id) => document.getElementById(id);
  const tolerance = Number(root.dataset.startTolerance || 30);
  const outcomeBox = modal($("outcome-dialog"));
  const voteBox = modal($("vote-dialog"));
  const announcer = $("console-announce");
  let seen = null; // what was last announced: {current, opened, closed}
  let rollQuery = "";
  const limitKey = `ecab.speakerWarning.${meetingId}`;
  const limitInput = $("speaker-limit");
  const errorBox = $("console-error");
  let formItemId;
  let outcomeFor = null; // the item the outcome dialog records on
  let voteFor = null; // the item the new-vote dialog prepares a vote on
  let errorTimer = null;
  let positions = null; // GET /meetings/{id}/positions: the objections per item (docs/positions.md)
  let positionsTimer = null;

  const label = (group, code) => (labels[group] && labels[group][code]) || code || "";
  const state = () => client.state;
  const running = () => Boolean(state()) && state().meeting.state === "in_progress";

  // --- commands ---------------------------------------------------------------------------

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
      if (button) {
        button.disabled = false;
        render(); // the feed may have changed what the button may do meanwhile
      }
    }
  }

  const advance = (to, button) => run(button, "POST", `/meetings/${meetingId}/advance`, { to });

  function draftVote() {
    const current = currentItem(state());
    if (!current) return null;
    const drafts = state().votes.filter((v) => v.agenda_item_id === current.id && v.state === "draft");
    return drafts.length ? drafts[drafts.length - 1] : null;
  }

  function openVote() {
    return state() ? state().votes.find((v) => v.state === "open") || null : null;
  }

  function speakerLimit() {
    const stored = Number(localStorage.getItem(limitKey));
    if (Number.isFinite(stored) && stored >= 10) return stored;
    return (state() && state().speaker_warning_seconds) || 300;
  }

  // --- rendering -----------------------------------------------------------------------------

  function renderHead(s) {
    const meeting = s.meeting;
    const badge = $("meeting-state");
    badge.textContent = label("meeting_state", meeting.state);
    badge.className = `badge badge-state badge-${meeting.state}`;
    const ended = meeting.state === "adjourned" || meeting.state === "closed";
    root.classList.toggle("is-ended", ended);
    $("start-session").hidden = meeting.state !== "published";
    $("adjourn").hidden = meeting.state !== "in_progress";
    $("minutes-link").hidden = !ended;
    const sign = $("console-sign"); // the chair's "sign the resolution", once the session has ended
    if (sign) sign.hidden = !ended;
    const tasksLink = $("tasks-link"); // the secretariat's only: tasks from the conclusions
    if (tasksLink) tasksLink.hidden = !ended;
    const block = s.agenda.filter((i) => i.consent && i.state === "pending" && !i.outcome);
    const consent = $("adopt-consent");
    consent.hidden = meeting.state !== "in_progress" || block.length === 0;
    consent.replaceChildren(msg("AdoptConsent", { count: block.length }), " ", el("kbd", { text: "T", "aria-hidden": "true" }));
    // After the adjournment nothing is left to do here: the controls go, the minutes link stays.
    for (const node of root.querySelectorAll(".console-controls")) node.hidden = ended;
    if (ended) {
      outcomeBox.close();
      voteBox.close();
    }
  }

  // The live region: the current item, a vote opening and a result, each said once.
  function announce(s) {
    const current = currentItem(s);
    const opened = s.votes.find((v) => v.state === "open");
    const closed = s.votes.filter((v) => v.state === "closed").map((v) => v.id);
    const now = { current: current ? current.id : null, opened: opened ? opened.id : null, closed, state: s.meeting.state };
    if (seen === null) {
      seen = now; // the first snapshot is what the page shows, not news
      return;
    }
    let text = "";
    if (now.current !== seen.current && current) {
      text = msg("AnnounceCurrent", { position: current.position, title: current.title === undefined ? msg("Restricted") : current.title });
    }
    if (now.opened !== null && now.opened !== seen.opened) text = msg("AnnounceOpened", { question: opened.question });
    const fresh = closed.find((id) => !seen.closed.includes(id));
    if (fresh !== undefined) {
      const vote = s.votes.find((v) => v.id === fresh);
      if (vote && vote.result) {
        text = msg("AnnounceResult", {
          verdict: vote.result.adopted ? msg("Adopted") : msg("Rejected"),
          counts: msg("Result", vote.result),
        });
      }
    }
    if (s.meeting.state === "in_progress" && seen.state === "published") text = text || msg("AnnounceStarted");
    seen = { ...now, state: s.meeting.state };
    if (text) announcer.textContent = text;
  }

  function renderCurrent(s) {
    const current = currentItem(s);
    const box = $("current-item");
    let children;
    if (current && current.restricted && current.title === undefined) {
      children = [el("p", { class: "current-title", text: msg("Restricted") })];
    } else if (current) {
      children = [
        el("p", { class: "eyebrow", text: msg("Position", { position: current.position }) }),
        el("p", { class: "current-title", id: "current-title", text: current.title }),
        current.presenter ? el("p", { class: "muted", text: msg("Presenter", { name: current.presenter }) }) : null,
      ];
    } else {
      const why = { published: "NotStarted", draft: "NotStarted", adjourned: "Adjourned" }[s.meeting.state] || "NoCurrent";
      children = [el("p", { class: "empty", text: msg(why) })];
    }
    box.dataset.item = current ? String(current.id) : "";
    replace(box, children);
    $("item-allotted").textContent = current && current.minutes ? "/ " + clock(current.minutes * 60) : "";
    $("item-timer").hidden = !current;
    const items = s.agenda;
    const index = current ? items.findIndex((i) => i.id === current.id) : -1;
    $("prev-item").disabled = !running() || index <= 0;
    $("next-item").disabled = !running() || (index >= 0 && index === items.length - 1);

    const id = current ? current.id : null;
    if (id !== formItemId) {
      formItemId = id;
      if (!outcomeBox.isOpen) fillOutcome(current);
      $("outcome-status").textContent = "";
    }
    $("open-outcome").disabled = !current || !running();
    $("new-vote").disabled = !current || !LIVE.includes(s.meeting.state);
    $("outcome-line").textContent = current && current.outcome ? label("outcome", current.outcome) + (current.conclusion ? ": " + current.conclusion : "") : "";
  }

  // The last closed vote of an item and whether an outcome contradicts it (as the server's
  // agenda/live/outcome_rule.py decides; the server has the last word).
  function lastVote(itemId) {
    const closed = state().votes.filter((v) => v.agenda_item_id === itemId && v.state === "closed" && v.result);
    return closed.length ? closed[closed.length - 1] : null;
  }

  function contradicts(outcome, vote) {
    if (!vote) return false;
    const adopting = outcome === "adopted" || outcome === "adopted_with_changes";
    const refusing = outcome === "deferred" || outcome === "returned";
    return (adopting && !vote.result.adopted) || (refusing && vote.result.adopted);
  }

  function fillOutcome(current) {
    const vote = current ? lastVote(current.id) : null;
    const fallback = vote && !vote.result.adopted ? "returned" : "adopted";
    $("outcome").value = (current && current.outcome) || fallback;
    $("conclusion").value = (current && current.conclusion) || "";
    $("override-reason").value = "";
    $("outcome-error").hidden = true;
    $("outcome-item").textContent = current ? msg("Position", { position: current.position }) + (current.title ? " · " + current.title : "") : "";
    const line = $("outcome-last-vote");
    line.hidden = !vote;
    if (vote) {
      line.textContent = msg("LastVote", {
        verdict: vote.result.adopted ? msg("Adopted") : msg("Rejected"),
        yes: vote.result.yes,
        total: vote.result.total_membership,
      });
    }
    syncOverride();
  }

  function syncOverride() {
    const itemId = outcomeFor !== null && outcomeBox.isOpen ? outcomeFor : (currentItem(state()) || {}).id;
    const needed = itemId !== undefined && contradicts($("outcome").value, lastVote(itemId));
    $("override-field").hidden = !needed;
    $("override-reason").required = needed;
  }

  function currentSpeakers(s) {
    const current = currentItem(s);
    return current ? s.speakers.filter((sp) => sp.agenda_item_id === current.id) : [];
  }

  function firstWaiting(s) {
    const waiting = currentSpeakers(s).filter((sp) => sp.state === "requested").sort((a, b) => a.id - b.id);
    return waiting.length ? waiting[0] : null;
  }

  function renderSpeakers(s) {
    const current = currentItem(s);
    const rank = { speaking: 0, requested: 1, done: 2 };
    const rows = current
      ? s.speakers
          .filter((sp) => sp.agenda_item_id === current.id && sp.state !== "withdrawn")
          .sort((a, b) => rank[a.state] - rank[b.state] || a.id - b.id)
      : [];
    if (!rows.length) {
      replace($("speakers"), [el("li", { class: "empty", text: msg("NoSpeakers") })]);
      return;
    }
    const first = firstWaiting(s);
    replace(
      $("speakers"),
      rows.map((sp) => {
        const buttons = [];
        if (sp.state === "requested") {
          const isFirst = first && first.id === sp.id;
          buttons.push(
            el("button", {
              type: "button",
              class: "btn btn-primary btn-small",
              dataset: { key: `start-${sp.id}` },
              disabled: !running(),
              "aria-keyshortcuts": isFirst ? "F" : null,
              onclick: (e) => run(e.currentTarget, "POST", `/speakers/${sp.id}/start`),
            }, msg("GiveFloor"), isFirst ? " " : null, isFirst ? el("kbd", { text: "F", "aria-hidden": "true" }) : null),
            el("button", {
              type: "button",
              class: "btn btn-small",
              dataset: { key: `drop-${sp.id}` },
              text: msg("Drop"),
              onclick: (e) => run(e.currentTarget, "DELETE", `/speakers/${sp.id}`),
            }),
          );
        } else if (sp.state === "speaking") {
          buttons.push(
            el("button", {
              type: "button",
              class: "btn btn-danger btn-small",
              dataset: { key: `stop-${sp.id}` },
              "aria-keyshortcuts": "X",
              onclick: (e) => run(e.currentTarget, "POST", `/speakers/${sp.id}/stop`),
            }, msg("Stop"), " ", el("kbd", { text: "X", "aria-hidden": "true" })),
          );
        }
        const status = { speaking: msg("Speaking"), requested: msg("Waiting"), done: "" }[sp.state];
        return el(
          "li",
          { class: `speaker speaker-${sp.state}`, dataset: { speaker: String(sp.id) } },
          el(
            "div",
            { class: "speaker-who" },
            el("strong", { class: "speaker-name", text: sp.name }),
            status ? el("span", { class: "badge", text: status }) : null,
          ),
          el(
            "div",
            { class: "speaker-time" },
            el("span", { class: "speaker-timer", dataset: { speakerTimer: String(sp.id) } }),
            el("span", { class: "speaker-warning", dataset: { speakerWarning: String(sp.id) }, hidden: true }),
          ),
          buttons.length ? el("div", { class: "button-row" }, buttons) : null,
        );
      }),
    );
  }

  function resultLines(vote) {
    const result = vote.result;
    if (!result) return [];
    return [
      el("p", { class: "vote-result", text: msg("Result", result) }),
      el(
        "p",
        {},
        el("span", {
          class: `badge ${result.adopted ? "badge-ok" : "badge-refused"} vote-verdict`,
          text: result.adopted ? msg("Adopted") : msg("Rejected"),
        }),
        " ",
        el("span", { class: "small muted", text: msg("OfMembership", { total: result.total_membership }) }),
      ),
      result.tie_broken_by_chair ? el("p", { class: "small", text: msg("Tie") }) : null,
    ];
  }

  function renderVotes(s) {
    const current = currentItem(s);
    // Without a current item (before the first, after the adjournment) every closed vote shows.
    const votes = current ? s.votes.filter((v) => v.agenda_item_id === current.id) : s.votes.filter((v) => v.state === "closed");
    // An open vote elsewhere (after the chair moved on) still needs its close button here.
    const open = s.votes.find((v) => v.state === "open");
    if (open && !votes.includes(open)) votes.unshift(open);
    if (!votes.length) {
      replace($("votes"), [el("p", { class: "empty", text: msg("NoVotes") })]);
      return;
    }
    replace(
      $("votes"),
      votes.map((vote) => {
        const stateText = { draft: msg("VoteDraft"), open: msg("VoteOpen"), closed: msg("VoteClosed") }[vote.state];
        const body = [];
        if (vote.state === "draft") {
          body.push(
            el("button", {
              type: "button",
              class: "btn btn-primary",
              dataset: { key: `open-${vote.id}`, action: "open-vote" },
              disabled: !running(),
              "aria-keyshortcuts": "O",
              onclick: (e) => run(e.currentTarget, "POST", `/votes/${vote.id}/open`),
            }, msg("OpenVote"), " ", el("kbd", { text: "O", "aria-hidden": "true" })),
          );
        } else if (vote.state === "open") {
          body.push(
            el("p", {
              class: "vote-cast",
              id: `vote-cast-${vote.id}`,
              dataset: { cast: String(vote.cast), eligible: String(vote.eligible) },
              text: msg("Cast", { cast: vote.cast, eligible: vote.eligible }),
            }),
            el("button", {
              type: "button",
              class: "btn btn-danger",
              dataset: { key: `close-${vote.id}`, action: "close-vote" },
              "aria-keyshortcuts": "C",
              onclick: (e) => run(e.currentTarget, "POST", `/votes/${vote.id}/close`),
            }, msg("CloseVote"), " ", el("kbd", { text: "C", "aria-hidden": "true" })),
          );
        } else {
          body.push(...resultLines(vote));
        }
        return el(
          "div",
          { class: `vote-card vote-${vote.state}`, dataset: { vote: String(vote.id), state: vote.state } },
          el("p", { class: "vote-question", text: vote.question }),
          el(
            "p",
            { class: "badges" },
            el("span", { class: "badge", text: stateText }),
            el("span", { class: "badge badge-doc", text: vote.secret ? msg("Secret") : msg("Named") }),
          ),
          body,
        );
      }),
    );
  }

  function setAttendance(row, status, substitute, control) {
    const body = { status };
    if (substitute) body.substitute_user_id = substitute;
    return run(control, "PUT", `/meetings/${meetingId}/attendance/${row.member_id}`, body);
  }

  function renderAttendance(s) {
    const q = s.quorum;
    const quorum = $("quorum");
    quorum.textContent = msg("Quorum", q);
    quorum.className = `badge quorum ${q.quorate ? "badge-ok" : "badge-refused"}`;
    quorum.title = q.quorate ? msg("Quorate") : msg("NotQuorate");
    quorum.dataset.quorate = String(q.quorate);
    const editable = LIVE.includes(s.meeting.state);
    $("all-present").disabled = !editable || s.attendance.every((r) => r.status === "present" || r.status === "remote");
    renderRoll({ s, guests, msg, label, editable, set: setAttendance, query: rollQuery });
  }

  // The pre-session positions' table, fetched again when a position changes (the staff's feed
  // carries position.stated); positions are not part of the live state.
  function loadPositions() {
    clearTimeout(positionsTimer);
    positionsTimer = setTimeout(async () => {
      try {
        positions = await api("GET", `/meetings/${meetingId}/positions`);
      } catch {
        positions = null;
      }
      if (state()) renderConsent(state());
    }, 250);
  }

  function objections(itemId) {
    if (!positions) return null;
    const found = positions.items.find((i) => i.agenda_item_id === itemId);
    return found ? found.counts.object : null;
  }

  // The consent block as it stands: the items still in it (adopted together at the start), and
  // those an objection took out, each with its count of objections.
  function renderConsent(s) {
    const box = $("consent-block");
    const block = s.agenda.filter((i) => i.consent && i.state === "pending" && !i.outcome);
    const left = positions ? positions.items.filter((i) => i.left_consent) : [];
    box.hidden = !LIVE.includes(s.meeting.state) || (!block.length && !left.length);
    const row = (id, position, title, extra) => {
      const count = objections(id);
      return el(
        "li",
        { class: "consent-row", dataset: { item: String(id) } },
        el("span", { class: "pos", text: String(position) }),
        el("span", { class: "consent-title", text: title === undefined ? msg("Restricted") : title }),
        extra,
        count === null ? null : el("span", { class: `badge consent-objections${count ? " badge-refused" : ""}`, dataset: { count: String(count) }, text: msg("Objections", { count }) }),
      );
    };
    replace($("consent-list"), [
      ...block.map((i) => row(i.id, i.position, i.title, null)),
      ...left.map((i) => row(i.agenda_item_id, i.number, i.title, el("span", { class: "badge badge-warn consent-left", text: msg("LeftConsent") }))),
    ]);
  }

  function renderAgenda(s) {
    const currentId = s.meeting.current_item_id;
    replace(
      $("agenda-list"),
      s.agenda.map((item) => {
        const hidden = item.title === undefined;
        const isCurrent = item.id === currentId;
        const title = hidden ? msg("Restricted") : item.title;
        const button = el(
          "button",
          {
            type: "button",
            class: "agenda-jump",
            dataset: { key: `jump-${item.id}`, item: String(item.id) },
            disabled: isCurrent || !running(),
            "aria-current": isCurrent ? "step" : null,
            onclick: (e) => advance(item.id, e.currentTarget),
          },
          // Spoken before the visible text, which stays the start of the name (WCAG 2.5.3).
          el("span", { class: "sr-only", text: msg("Jump", { position: item.position }) + ": " }),
          el("span", { class: "pos", text: String(item.position) }),
          el("span", { class: "jump-title", text: title }),
          el("span", { class: "minutes", text: item.minutes ? msg("Minutes", { minutes: item.minutes }) : "" }),
        );
        const badges = [];
        if (isCurrent) badges.push(el("span", { class: "badge badge-in_progress", text: msg("Current") }));
        else if (item.state === "done") badges.push(el("span", { class: "badge", text: label("agenda_state", "done") }));
        if (item.consent) badges.push(el("span", { class: "badge badge-consent", text: msg("Consent") }));
        if (item.outcome) badges.push(el("span", { class: "badge badge-ok", text: label("outcome", item.outcome) }));
        return el(
          "li",
          { class: `live-item item-${item.state}${isCurrent ? " is-current" : ""}${hidden ? " is-restricted" : ""}`, id: `agenda-${item.id}` },
          button,
          badges.length ? el("p", { class: "badges" }, badges) : null,
        );
      }),
    );
  }

  function render() {
    const s = state();
    if (!s) return;
    renderHead(s);
    renderCurrent(s);
    renderSpeakers(s);
    renderVotes(s);
    renderAttendance(s);
    renderAgenda(s);
    renderConsent(s);
    announce(s);
    if (document.activeElement !== limitInput) limitInput.value = String(speakerLimit());
    fit();
    tick();
  }

  // One screen: the grid takes the window's height below its top; each panel scrolls inside.
  function fit() {
    const grid = $("console-grid");
    const top = grid.getBoundingClientRect().top + window.scrollY;
    grid.style.setProperty("--console-height", `${Math.max(416, Math.floor(window.innerHeight - top - 8))}px`);
    const list = $("agenda-list");
    const current = list.querySelector(".is-current");
    const box = list.closest(".console-agenda");
    if (current && box && box.scrollHeight > box.clientHeight) {
      box.scrollTop = Math.max(0, current.offsetTop - box.offsetTop - 4);
    }
  }
  window.addEventListener("resize", fit);

  // The clocks, every TICK: the item's timer, each speaker's, and the projected end.
  function tick() {
    const s = state();
    if (!s) return;
    const now = client.now();
    const current = currentItem(s);
    const timer = $("item-timer");
    if (current) {
      const spent = itemSeconds(current, now);
      const allotted = (current.minutes || 0) * 60;
      $("item-elapsed").textContent = clock(spent);
      timer.classList.toggle("is-near", allotted > 0 && spent >= allotted * NEAR && spent <= allotted);
      timer.classList.toggle("is-over", allotted > 0 && spent > allotted);
    }
    const limit = speakerLimit();
    for (const node of document.querySelectorAll("[data-speaker-timer]")) {
      const sp = s.speakers.find((x) => String(x.id) === node.dataset.speakerTimer);
      if (!sp) continue;
      const seconds = speakerSeconds(sp, now);
      node.textContent = sp.state === "requested" ? "" : clock(seconds);
      const over = sp.state !== "requested" && seconds > limit;
      const warning = document.querySelector(`[data-speaker-warning="${sp.id}"]`);
      if (warning) {
        warning.hidden = !over;
        warning.textContent = over ? msg("OverLimit", { limit: clock(limit) }) : "";
      }
      node.closest(".speaker").classList.toggle("is-over", over && sp.state === "speaking");
    }
    $("projected").textContent = projected(s, now);
  }

  function projected(s, now) {
    const meeting = s.meeting;
    if (meeting.state === "adjourned" || meeting.state === "closed") return msg("Adjourned");
    let remaining = 0;
    const current = currentItem(s);
    if (current && current.minutes) remaining += Math.max(0, current.minutes * 60 - itemSeconds(current, now));
    for (const item of s.agenda) {
      if (item.state === "pending" && item.minutes && item.id !== meeting.current_item_id) remaining += item.minutes * 60;
    }
    let from = now;
    if (meeting.state !== "in_progress" && meeting.starts_at) from = Math.max(now, Date.parse(meeting.starts_at));
    const end = from + remaining * 1000;
    const text = msg("Projected", { time: when(end, now) });
    if (!meeting.ends_at) return text;
    // Against the scheduled end, in days, hours and minutes (not "trễ 5492 phút").
    const planned = Date.parse(meeting.ends_at);
    const minutes = Math.round((end - planned) / 60000);
    const params = { span: span(minutes), planned: when(planned, now) };
    const versus = minutes > 0 ? msg("Late", params) : minutes < 0 ? msg("Early", params) : msg("OnTime", params);
    const box = $("projected");
    box.classList.toggle("is-late", minutes > 0);
    return `${text} (${versus})`;
  }

  function span(minutes) {
    return spanText(minutes, { days: msg("SpanDays"), hours: msg("SpanHours"), minutes: msg("SpanMinutes") });
  }

  // A time of day, with its date when it is not today (Vietnam time).
  function when(ms, now) {
    const lang = document.documentElement.lang === "en" ? "en-GB" : "vi-VN";
    const day = (t) => new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh" }).format(new Date(t));
    if (day(ms) === day(now)) return hhmm(ms);
    const date = new Intl.DateTimeFormat(lang, { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "Asia/Ho_Chi_Minh" });
    return `${hhmm(ms)} ${date.format(new Date(ms))}`;
  }

  // --- wiring ----------------------------------------------------------------------------------

  async function startSession(button) {
    const s = state();
    if (!s || s.meeting.state !== "published") return;
    const now = client.now();
    const scheduled = Date.parse(s.meeting.starts_at);
    const off = Math.round((now - scheduled) / 60000);
    if (Math.abs(off) > tolerance) {
      const params = { scheduled: when(scheduled, now), span: span(off) };
      $("start-warning").textContent = off > 0 ? msg("OffScheduleLate", params) : msg("OffScheduleEarly", params);
      if (!(await confirmIn($("start-dialog"), button))) return;
    }
    await run(button, "POST", `/meetings/${meetingId}/start`);
  }

  async function adjournSession(button) {
    if (!running()) return;
    if (await confirmIn($("adjourn-dialog"), button)) {
      await run(button, "POST", `/meetings/${meetingId}/adjourn`);
      if (!running()) $("minutes-link").focus();
    }
  }

  const adoptConsent = (button) => run(button, "POST", `/meetings/${meetingId}/consent/adopt`);

  $("start-session").addEventListener("click", (e) => startSession(e.currentTarget));
  $("adopt-consent").addEventListener("click", (e) => adoptConsent(e.currentTarget));
  $("prev-item").addEventListener("click", (e) => advance("previous", e.currentTarget));
  $("next-item").addEventListener("click", (e) => advance("next", e.currentTarget));
  $("adjourn").addEventListener("click", (e) => adjournSession(e.currentTarget));

  function openOutcome(from) {
    const current = currentItem(state());
    if (!current || !running()) return;
    fillOutcome(current);
    outcomeFor = current.id; // the item the dialog was opened on, even if the chair moves on meanwhile
    outcomeBox.open(from, $("outcome"));
  }

  function openNewVote(from) {
    const current = currentItem(state());
    if (!current || !LIVE.includes(state().meeting.state)) return;
    $("vote-item").textContent = msg("Position", { position: current.position }) + (current.title ? " · " + current.title : "");
    $("vote-error").hidden = true;
    voteFor = current.id;
    voteBox.open(from, $("vote-question"));
  }

  $("open-outcome").addEventListener("click", (e) => openOutcome(e.currentTarget));
  $("new-vote").addEventListener("click", (e) => openNewVote(e.currentTarget));
  $("outcome").addEventListener("change", syncOverride);

  // A command from a dialog: its error shows in the dialog, which stays open.
  async function runInDialog(errorBox, button, method, path, body) {
    button.disabled = true;
    try {
      const answer = await api(method, path, body);
      errorBox.hidden = true;
      return { answer };
    } catch (error) {
      errorBox.textContent = (error && error.message) || String(error);
      errorBox.hidden = false;
      return { error };
    } finally {
      button.disabled = false;
    }
  }

  $("outcome-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (outcomeFor === null) return;
    const body = { outcome: $("outcome").value, conclusion: $("conclusion").value };
    if (!$("override-field").hidden) body.override_reason = $("override-reason").value;
    const { error } = await runInDialog($("outcome-error"), $("save-outcome"), "POST", `/agenda-items/${outcomeFor}/outcome`, body);
    if (error) {
      if (error.code === "outcome_contradicts_vote") {
        $("override-field").hidden = false;
        $("override-reason").required = true;
        $("override-reason").focus();
      }
      return;
    }
    outcomeBox.close("ok");
    $("outcome-status").textContent = msg("OutcomeSaved");
    announcer.textContent = msg("OutcomeSaved");
  });

  $("vote-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const question = $("vote-question").value.trim();
    if (voteFor === null || !question) return;
    const { error } = await runInDialog($("vote-error"), $("create-vote"), "POST", `/agenda-items/${voteFor}/votes`, {
      question,
      secret: $("vote-secret").checked,
    });
    if (error) return;
    $("vote-question").value = "";
    $("vote-secret").checked = false;
    voteBox.close("ok");
  });

  $("all-present").addEventListener("click", async (e) => {
    const button = e.currentTarget;
    button.disabled = true;
    const count = await allPresent(state(), setAttendance);
    announcer.textContent = msg("AllPresentDone", { count });
    render();
  });

  $("roll-search").addEventListener("input", (e) => {
    rollQuery = e.currentTarget.value;
    if (state()) renderAttendance(state());
  });

  limitInput.addEventListener("change", () => {
    const value = Number(limitInput.value);
    if (Number.isFinite(value) && value >= 10) localStorage.setItem(limitKey, String(Math.round(value)));
    else localStorage.removeItem(limitKey);
    limitInput.value = String(speakerLimit());
    tick();
  });

  // The shortcuts; each one is shown on its button (<kbd>) and listed under "Phím tắt".
  const KEYS = {
    n: () => running() && advance("next", $("next-item")),
    ArrowRight: () => running() && advance("next", $("next-item")),
    p: () => running() && advance("previous", $("prev-item")),
    ArrowLeft: () => running() && advance("previous", $("prev-item")),
    k: () => openOutcome($("open-outcome")),
    v: () => openNewVote($("new-vote")),
    o: () => {
      const vote = draftVote();
      if (vote) run(null, "POST", `/votes/${vote.id}/open`);
      else showError(msg("NoDraft"));
    },
    c: () => {
      const vote = openVote();
      if (vote) run(null, "POST", `/votes/${vote.id}/close`);
      else showError(msg("NoOpen"));
    },
    f: () => {
      const first = firstWaiting(state());
      if (first && running()) run(null, "POST", `/speakers/${first.id}/start`);
      else showError(msg("NoWaiting"));
    },
    x: () => {
      const speaking = currentSpeakers(state()).find((sp) => sp.state === "speaking") || state().speakers.find((sp) => sp.state === "speaking");
      if (speaking) run(null, "POST", `/speakers/${speaking.id}/stop`);
      else showError(msg("NoSpeaking"));
    },
    a: () => !$("all-present").disabled && $("all-present").click(),
    "/": () => $("roll-search").focus(),
    s: () => !$("start-session").hidden && startSession($("start-session")),
    t: () => !$("adopt-consent").hidden && adoptConsent($("adopt-consent")),
    e: () => !$("adjourn").hidden && adjournSession($("adjourn")),
  };

  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || !state()) return;
    const target = e.target;
    if (target && target.closest && (target.closest("input, textarea, select, [contenteditable]") || target.isContentEditable)) return;
    if (document.querySelector("dialog[open]")) return;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const action = KEYS[key];
    if (!action) return;
    e.preventDefault();
    action();
  });

  const client = connect({
    meetingId,
    onChange: (_client, change) => {
      if (change.type === "snapshot" || change.kind === "position.stated" || change.kind === "consent.left") loadPositions();
      render();
    },
    onNotice: (kind, data) => kind === "document.updated" && showDocumentNotice(data),
  });
  setInterval(tick, TICK);
}
