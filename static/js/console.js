// The presiding console (templates/live/console.html): the chair or the secretariat runs the
// session from here. Everything shown comes from the live feed (live.js); every button is one
// command to the JSON API, and its effect comes back through the feed like everyone else's.
//
// Keys: N or ArrowRight = next item, P or ArrowLeft = previous, O = open the prepared vote of
// the current item, C = close the open vote; ignored while typing in a field.

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
  const limitKey = `ecab.speakerWarning.${meetingId}`;
  const limitInput = $("speaker-limit");
  const errorBox = $("console-error");
  let formItemId;
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
    $("start-session").hidden = meeting.state !== "published";
    $("adjourn").hidden = meeting.state !== "in_progress";
    const block = s.agenda.filter((i) => i.consent && i.state === "pending" && !i.outcome);
    const consent = $("adopt-consent");
    consent.hidden = meeting.state !== "in_progress" || block.length === 0;
    consent.textContent = msg("AdoptConsent", { count: block.length });
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

    const form = $("outcome-form");
    const id = current ? current.id : null;
    if (id !== formItemId) {
      formItemId = id;
      $("outcome").value = (current && current.outcome) || "adopted";
      $("conclusion").value = (current && current.conclusion) || "";
      $("outcome-status").textContent = "";
      $("vote-question").value = "";
      $("vote-secret").checked = false;
    }
    for (const field of form.elements) field.disabled = !current || !running();
    for (const field of $("vote-form").elements) field.disabled = !current || !LIVE.includes(s.meeting.state);
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
    replace(
      $("speakers"),
      rows.map((sp) => {
        const buttons = [];
        if (sp.state === "requested") {
          buttons.push(
            el("button", {
              type: "button",
              class: "btn btn-primary btn-small",
              dataset: { key: `start-${sp.id}` },
              disabled: !running(),
              text: msg("GiveFloor"),
              onclick: (e) => run(e.currentTarget, "POST", `/speakers/${sp.id}/start`),
            }),
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
              text: msg("Stop"),
              onclick: (e) => run(e.currentTarget, "POST", `/speakers/${sp.id}/stop`),
            }),
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
    const votes = current ? s.votes.filter((v) => v.agenda_item_id === current.id) : [];
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
              dataset: { key: `open-${vote.id}` },
              disabled: !running(),
              text: msg("OpenVote"),
              onclick: (e) => run(e.currentTarget, "POST", `/votes/${vote.id}/open`),
            }),
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
              dataset: { key: `close-${vote.id}` },
              text: msg("CloseVote"),
              onclick: (e) => run(e.currentTarget, "POST", `/votes/${vote.id}/close`),
            }),
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

  function renderAttendance(s) {
    const q = s.quorum;
    const quorum = $("quorum");
    quorum.textContent = msg("Quorum", q);
    quorum.className = `badge quorum ${q.quorate ? "badge-ok" : "badge-refused"}`;
    quorum.title = q.quorate ? msg("Quorate") : msg("NotQuorate");
    quorum.dataset.quorate = String(q.quorate);
    const editable = LIVE.includes(s.meeting.state);
    const set = (row, status, substitute, button) => {
      const body = { status };
      if (substitute) body.substitute_user_id = substitute;
      return run(button, "PUT", `/meetings/${meetingId}/attendance/${row.member_id}`, body);
    };
    replace(
      $("attendance"),
      s.attendance.map((row) => {
        const buttons = ["present", "remote", "absent", "excused"].map((status) =>
          el("button", {
            type: "button",
            class: `btn btn-small att-btn att-${status}`,
            dataset: { key: `att-${row.member_id}-${status}`, status },
            "aria-pressed": String(row.status === status),
            disabled: !editable,
            text: label("attendance", status),
            onclick: (e) => set(row, status, null, e.currentTarget),
          }),
        );
        let substitute = null;
        if (guests.length && (row.status === "absent" || row.status === "excused")) {
          const id = `sub-${row.member_id}`;
          const select = el(
            "select",
            {
              id,
              dataset: { key: id },
              disabled: !editable,
              onchange: (e) => set(row, row.status, Number(e.currentTarget.value) || null, e.currentTarget),
            },
            el("option", { value: "", text: msg("NoSubstitute") }),
            guests.map((g) => el("option", { value: String(g.id), text: g.full_name, selected: g.id === row.substitute_user_id })),
          );
          substitute = el(
            "div",
            { class: "att-substitute" },
            el("label", { class: "sr-only", for: id, text: msg("SubstituteFor", { name: row.full_name }) }),
            select,
          );
        }
        return el(
          "li",
          { class: `attendance-row att-row-${row.status || "unknown"}`, dataset: { member: String(row.member_id) } },
          el(
            "div",
            { class: "att-who" },
            el("strong", { text: row.full_name }),
            el("span", { class: "small muted", text: row.title || "" }),
            row.votes ? null : el("span", { class: "badge", text: msg("NoVoteRight") }),
            row.substitute_name ? el("span", { class: "att-sub-name small", text: msg("Substitute", { name: row.substitute_name }) }) : null,
          ),
          el("div", { class: "att-buttons", role: "group", "aria-label": row.full_name }, buttons),
          substitute,
        );
      }),
    );
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
    if (document.activeElement !== limitInput) limitInput.value = String(speakerLimit());
    tick();
  }

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
    const text = msg("Projected", { time: hhmm(end) });
    if (!meeting.ends_at) return text;
    const planned = Date.parse(meeting.ends_at);
    const minutes = Math.round((end - planned) / 60000);
    const params = { minutes: Math.abs(minutes), planned: hhmm(planned) };
    const versus = minutes > 0 ? msg("Late", params) : minutes < 0 ? msg("Early", params) : msg("OnTime", params);
    const box = $("projected");
    box.classList.toggle("is-late", minutes > 0);
    return `${text} (${versus})`;
  }

  // --- wiring ----------------------------------------------------------------------------------

  $("start-session").addEventListener("click", (e) => run(e.currentTarget, "POST", `/meetings/${meetingId}/start`));
  $("adopt-consent").addEventListener("click", (e) => run(e.currentTarget, "POST", `/meetings/${meetingId}/consent/adopt`));
  $("prev-item").addEventListener("click", (e) => advance("previous", e.currentTarget));
  $("next-item").addEventListener("click", (e) => advance("next", e.currentTarget));

  const dialog = $("adjourn-dialog");
  $("adjourn").addEventListener("click", (e) => {
    const button = e.currentTarget;
    if (!dialog || typeof dialog.showModal !== "function") {
      run(button, "POST", `/meetings/${meetingId}/adjourn`);
      return;
    }
    dialog.returnValue = "";
    dialog.addEventListener(
      "close",
      () => {
        if (dialog.returnValue === "ok") run(button, "POST", `/meetings/${meetingId}/adjourn`);
      },
      { once: true },
    );
    dialog.showModal();
  });

  $("outcome-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const current = currentItem(state());
    if (!current) return;
    const answer = await run($("save-outcome"), "POST", `/agenda-items/${current.id}/outcome`, {
      outcome: $("outcome").value,
      conclusion: $("conclusion").value,
    });
    if (answer !== null) $("outcome-status").textContent = msg("OutcomeSaved");
  });

  $("vote-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const current = currentItem(state());
    const question = $("vote-question").value.trim();
    if (!current || !question) return;
    const answer = await run($("create-vote"), "POST", `/agenda-items/${current.id}/votes`, {
      question,
      secret: $("vote-secret").checked,
    });
    if (answer !== null) {
      $("vote-question").value = "";
      $("vote-secret").checked = false;
    }
  });

  limitInput.addEventListener("change", () => {
    const value = Number(limitInput.value);
    if (Number.isFinite(value) && value >= 10) localStorage.setItem(limitKey, String(Math.round(value)));
    else localStorage.removeItem(limitKey);
    limitInput.value = String(speakerLimit());
    tick();
  });

  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || !state()) return;
    const target = e.target;
    if (target && (target.closest("input, textarea, select, [contenteditable]") || target.isContentEditable)) return;
    if (dialog && dialog.open) return;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (key === "n" || key === "ArrowRight") {
      e.preventDefault();
      if (running()) advance("next", $("next-item"));
    } else if (key === "p" || key === "ArrowLeft") {
      e.preventDefault();
      if (running()) advance("previous", $("prev-item"));
    } else if (key === "o") {
      e.preventDefault();
      const vote = draftVote();
      if (vote) run(null, "POST", `/votes/${vote.id}/open`);
      else showError(msg("NoDraft"));
    } else if (key === "c") {
      e.preventDefault();
      const vote = openVote();
      if (vote) run(null, "POST", `/votes/${vote.id}/close`);
      else showError(msg("NoOpen"));
    }
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
