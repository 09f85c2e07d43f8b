// -- what arrives: messages, system events, status, availability, typing -----------------------
// Pending bubbles stay at the bottom, below everything the server has confirmed.
function place(node) {
  var firstPending = log.querySelector(".fd-pending");
  if (firstPending && firstPending !== node) log.insertBefore(node, firstPending);
  else log.appendChild(node);
  scroll();
}
function show(frame) {
  if (state.seen[frame.id]) return; // a replay after a reconnect: already shown
  state.seen[frame.id] = true;
  if (frame.id > state.lastId) state.lastId = frame.id;
  if (frame.agentID === null) return system(frame.message);
  chatActivity();
  if (frame.agentID === 0 && frame.clientRef && state.bubbles[frame.clientRef]) {
    return confirmed(frame.clientRef, frame.id, frame.date);
  }
  var visitor = frame.agentID === 0;
  if (!visitor) { state.answered = true; hideTyping(); }
  var row = bubble(visitor, frame.from, frame.message, frame.date, frame.agentID);
  row.setAttribute("data-id", String(frame.id));
  place(row);
  if (!visitor) countUnread(frame.id);
}
// The visitor's own message reached the server: the pending bubble becomes a sent one.
function confirmed(reference, id, date) {
  var row = state.bubbles[reference];
  forget(reference);
  if (!row) return;
  state.seen[id] = true;
  row.classList.remove("fd-pending");
  row.setAttribute("data-id", String(id));
  setMeta(row, t("you") + ", " + clock(date));
  place(row);
}
function failed(reference, reason) {
  var row = state.bubbles[reference];
  forget(reference);
  if (!row) return false;
  row.classList.remove("fd-pending");
  row.classList.add("fd-failed");
  setMeta(row, t("notSent", { reason: reason }));
  place(row);
  return true;
}
function forget(reference) {
  delete state.bubbles[reference];
  saved.outbox = (saved.outbox || []).filter(function (item) { return item.ref !== reference; });
  save();
}
function system(body) {
  var event;
  try { event = JSON.parse(body); } catch (e) { return; }
  var name = event.agentName || t("anAgent");
  if (event.type === "agentJoin") { chatActivity(); note(t("joined", { name: name })); }
  else if (event.type === "transfer") { chatActivity(); note(t("tookOver", { name: name })); }
  else if (event.type === "chatClosed") {
    state.closed = true; state.rateable = state.answered; note(t("ended"));
  } else if (event.type === "rating") state.rateable = false;
  else if (event.type === "offlineMessage") note(t("ticket"));
  showRating();
}
// A message after the end of a chat belongs to the next one: nothing of it is rated yet.
function chatActivity() {
  if (state.closed) { state.closed = false; state.answered = false; state.rateable = false; }
}
function showRating() {
  rating.classList.toggle("fd-open", state.status === "closed" && state.rateable);
}
function status(value, agent) {
  state.status = value;
  if (agent && agent.id) state.pictures[agent.id] = agent.picture || null;
  subtitle.textContent = value === "active" && agent && agent.name ? agent.name : "";
  subtitle.hidden = !subtitle.textContent;
  endButton.hidden = !(value === "waiting" || value === "active");
  showRating();
  showAvailability();
  if (value === "waiting" && state.ready) transmit({ type: "availability" }); // the place now
}
function availability(frame) {
  state.agentsOnline = frame.agentsOnline !== false;
  state.queue = frame.queuePosition || null;
  showAvailability();
}
// Nobody online: the form instead of the message box. Waiting: the place in the queue.
function showAvailability() {
  var away = !state.agentsOnline && state.status !== "active";
  var hadFocus = root.activeElement === input;
  form.hidden = away;
  offline.hidden = !away;
  waitLine.hidden = away || state.status !== "waiting";
  waitLine.textContent = state.queue ? t("waiting", { n: state.queue }) : t("waitingSoon");
  if (away && hadFocus) offline.querySelector("input").focus();
}
function typing(frame) {
  clearTimeout(state.typingTimer);
  if (!frame.typing) return hideTyping();
  typingLine.textContent = t("typing", { name: (frame.agent && frame.agent.name) || t("anAgent") });
  typingLine.hidden = false;
  state.typingTimer = setTimeout(hideTyping, 6000); // a lost "stopped" must not stay forever
}
function hideTyping() { clearTimeout(state.typingTimer); typingLine.hidden = true; }

// -- what the visitor does ------------------------------------------------------------------
function sendMessage(text) {
  var frame = { type: "message", text: text, ref: ref() };
  saved.outbox = (saved.outbox || []).concat([{ ref: frame.ref, text: text }]);
  save();
  pendingBubble(frame);
  queue(frame);
}
// Shown at once and kept in localStorage until the server has it: never silently dropped.
function pendingBubble(frame) {
  var row = bubble(true, "", frame.text, null, 0);
  row.classList.add("fd-pending");
  setMeta(row, t("you") + ", " + t("pending"));
  state.bubbles[frame.ref] = row;
}
function typed() {
  var now = Date.now();
  if (!state.typingOut || now - state.typingAt > 3000) {
    state.typingOut = true; state.typingAt = now;
    transmit({ type: "typing", typing: true });
  }
  clearTimeout(state.idleTimer);
  state.idleTimer = setTimeout(stopTyping, 4000);
}
function stopTyping() {
  clearTimeout(state.idleTimer);
  if (state.typingOut) { state.typingOut = false; transmit({ type: "typing", typing: false }); }
}
function offlineValues() {
  var values = {}, missing = false;
  ["name", "email", "message"].forEach(function (name) {
    values[name] = offline.querySelector("[name=" + name + "]").value.trim();
    if (!values[name]) missing = true;
  });
  return missing ? null : values;
}
// A "please fill in" left from an earlier try goes once every field is filled.
offline.addEventListener("input", function () {
  var problem = offline.querySelector(".fd-error");
  if (problem && problem.textContent === t("required") && offlineValues()) problem.textContent = "";
});
function leaveMessage() {
  var values = offlineValues();
  var problem = offline.querySelector(".fd-error");
  if (!values) { problem.textContent = t("required"); return; }
  problem.textContent = "";
  offline.querySelector(".fd-leave").disabled = true;
  var frame = { type: "offline", name: values.name, email: values.email, message: values.message };
  state.offlineRef = command(frame).ref;
}
function messageLeft() {
  state.offlineRef = null;
  while (offline.firstChild) offline.removeChild(offline.firstChild);
  var thanks = el("p", "fd-left", t("left"));
  thanks.setAttribute("role", "status");
  offline.appendChild(thanks);
}
function messageRefused(message) {
  state.offlineRef = null;
  offline.querySelector(".fd-error").textContent = t("notSent", { reason: message });
  offline.querySelector(".fd-leave").disabled = false;
}

launcher.addEventListener("click", function () { setOpen(!isOpen()); });
closeButton.addEventListener("click", function () { setOpen(false); launcher.focus(); });
panel.addEventListener("keydown", function (event) {
  if (event.key === "Escape") { event.stopPropagation(); setOpen(false); launcher.focus(); }
});
endButton.addEventListener("click", function () {
  if (state.status === "waiting" || state.status === "active") command({ type: "close" });
});
input.addEventListener("input", function () { if (input.value) typed(); });
form.addEventListener("submit", function (event) {
  event.preventDefault();
  var text = input.value.trim();
  if (!text) return;
  input.value = "";
  stopTyping();
  sendMessage(text);
});
offline.addEventListener("submit", function (event) { event.preventDefault(); leaveMessage(); });
