// The secretariat's board of one opinion ballot, live (docs/opinion-polls.md): bell.js carries
// the `poll` frames of /ws/me ("ecab:me" events); on each one for this ballot, and whenever the
// socket (re)connects, the ballot is read again through the JSON API and the board redrawn.
// A ballot that closes reloads the page, which then shows the result.

import { api } from "./csrf.js";

const board = document.getElementById("poll-board");

function format(template, params) {
  return (template || "").replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));
}

function when(iso) {
  if (!iso) return "";
  return `${iso.slice(11, 16)} ${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
}

function element(tag, className, text) {
  const found = document.createElement(tag);
  if (className) found.className = className;
  if (text !== undefined) found.textContent = text;
  return found;
}

if (board) {
  const pollId = Number(board.dataset.poll);
  const labels = JSON.parse(board.dataset.labels || "{}");
  let reading = false;
  let again = false;

  const drawCounts = (responded, total) => {
    const line = document.getElementById("board-count");
    if (line) line.textContent = format(board.dataset.msgCount, { responded, total });
    const fact = document.getElementById("poll-count");
    if (fact) {
      fact.textContent = `${responded} / ${total}`;
      fact.dataset.responded = String(responded);
    }
    board.dataset.responded = String(responded);
  };

  const drawRow = (row) => {
    const tr = document.getElementById(`board-${row.member_id}`);
    if (!tr) return;
    tr.dataset.status = row.status;
    tr.className = `board-${row.status}`;
    const status = tr.querySelector(".board-status");
    if (status) {
      status.className = `badge badge-board-${row.status} board-status`;
      status.textContent = (labels.status || {})[row.status] || row.status;
    }
    const position = tr.querySelector(".board-position");
    const time = tr.querySelector(".board-time");
    const answer = row.response;
    if (position) {
      position.replaceChildren();
      if (answer) {
        position.append(element("strong", "", (labels.position || {})[answer.position] || answer.position));
        if (answer.comment) {
          position.append(document.createElement("br"), element("span", "answer-comment small", answer.comment));
        }
      }
    }
    if (time) time.textContent = answer ? when(answer.revised_at || answer.answered_at) : "";
  };

  let leaving = false;
  document.addEventListener("submit", () => {
    leaving = true;
  });

  const reload = async () => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        const poll = await api("GET", `/api/v1/opinion-polls/${pollId}`);
        if (poll.state !== board.dataset.state) {
          // The secretariat's own send or close is on its way: its answer page shows the change
          // (a reload here would cancel that navigation and lose its message).
          if (!leaving) location.reload();
          return;
        }
        drawCounts(poll.responded, poll.total);
        for (const row of poll.board || []) drawRow(row);
      } while (again);
    } catch {
      /* the next frame or reconnect tries again */
    } finally {
      reading = false;
    }
  };

  document.addEventListener("ecab:me", (event) => {
    const frame = event.detail || {};
    if (frame.type !== "poll" || frame.poll_id !== pollId) return;
    drawCounts(frame.responded, frame.total);
    reload();
  });
  document.addEventListener("ecab:me-open", reload);
}
