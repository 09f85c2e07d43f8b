// -- the connection: commands wait for it, and are resent until the server acknowledged them ----
function command(frame) {
  frame.ref = ref();
  queue(frame);
  return frame;
}
function queue(frame) {
  state.pending.push(frame);
  if (state.ready) transmit(frame);
  else reconnectNow(); // the visitor is waiting on it: do not sit out the back-off
}
function transmit(frame) {
  if (!state.ready) return;
  try { state.socket.send(JSON.stringify(frame)); } catch (e) { /* resent after reconnect */ }
}
function acknowledge(reference) {
  state.pending = state.pending.filter(function (frame) { return frame.ref !== reference; });
}
function showConnection() {
  connection.hidden = state.ready;
  connection.textContent = state.connectedOnce ? t("offline") : t("connecting");
}
function reconnectNow() {
  if (state.socket || state.stopped || !state.timer) return;
  clearTimeout(state.timer);
  state.timer = null;
  connect();
}
function connect() {
  if (state.stopped) return;
  state.timer = null;
  var socket = new WebSocket(socketUrl);
  state.socket = socket;
  socket.onopen = function () {
    socket.send(JSON.stringify({
      type: "hello", widget: widgetId, conversationId: saved.conversationId || null,
      token: saved.token || null, lastId: state.lastId, page: location.href, referrer: document.referrer
    }));
  };
  socket.onmessage = function (event) {
    var frame;
    try { frame = JSON.parse(event.data); } catch (e) { return; }
    if (frame.type === "welcome") welcome(socket, frame);
    else if (frame.type === "message") show(frame);
    else if (frame.type === "status") status(frame.status, frame.agent);
    else if (frame.type === "availability") availability(frame);
    else if (frame.type === "typing") typing(frame);
    else if (frame.type === "ack") acknowledged(frame);
    else if (frame.type === "error") refused(socket, frame);
  };
  socket.onclose = function (event) {
    if (state.socket === socket) state.socket = null;
    state.ready = false;
    showConnection();
    if (event.code === 4404 || event.code === 4400) { state.stopped = true; return; }
    var wait = event.code === 4429 ? 15000 : state.backoff;
    state.backoff = Math.min(state.backoff * 2, 4000);
    state.timer = setTimeout(connect, wait + Math.random() * 250);
  };
}
function welcome(socket, frame) {
  if (frame.token) {
    if (saved.conversationId && saved.conversationId !== frame.conversationId) reset();
    saved.conversationId = frame.conversationId;
    saved.token = frame.token;
  }
  saved.widget = frame.widget || {};
  save();
  applySettings();
  state.backoff = 500;
  if (frame.rateable) { state.closed = true; state.answered = true; }
  state.rateable = !!frame.rateable;
  if (frame.availability) availability(frame.availability);
  status(frame.status, frame.agent);
  // A new conversation proves it runs in a browser before anything else is sent;
  // the server handles frames in order, so what follows comes after the proof.
  if (frame.proof) answer(socket, frame.proof, ready); else ready();
}
function acknowledged(frame) {
  acknowledge(frame.ref);
  if (frame.ref && state.bubbles[frame.ref] && frame.id) confirmed(frame.ref, frame.id, null);
  if (frame.ref && frame.ref === state.offlineRef) messageLeft();
}
function refused(socket, frame) {
  acknowledge(frame.ref);
  if (frame.proof) answer(socket, frame.proof, function () {}); // expired: a new one
  if (frame.ref && frame.ref === state.offlineRef) return messageRefused(frame.message);
  if (frame.code === "nothing_to_rate" || frame.code === "already_rated") {
    state.rateable = false; showRating();
  } else if (!failed(frame.ref, frame.message)) note(t("notSent", { reason: frame.message }));
}
function answer(socket, proof, then) {
  prove(proof, function (nonce) {
    if (state.socket !== socket) return; // reconnected meanwhile: a new welcome asks again
    socket.send(JSON.stringify({ type: "proof", challenge: proof.challenge, nonce: nonce }));
    then();
  });
}
function ready() {
  state.ready = true;
  state.connectedOnce = true;
  showConnection();
  state.pending.forEach(transmit); // unacknowledged: the server drops repeats by ref
}
function reset() {
  state.seen = {}; state.lastId = 0; state.answered = false; state.closed = false;
  state.rateable = false; saved.readId = 0;
  Array.prototype.slice.call(log.querySelectorAll(".fd-msg:not(.fd-pending),.fd-note"))
    .forEach(function (node) { log.removeChild(node); });
}
// While nobody is online, ask every 15 s: an agent coming online swaps the form back for the
// message box. While waiting, the server pushes the place whenever the queue moves; asking
// once a minute only covers a push that was lost (a Redis hiccup, a reconnect).
var askedAt = 0;
setInterval(function () {
  if (!state.ready || (state.status !== "waiting" && state.agentsOnline)) return;
  if (!state.agentsOnline || Date.now() - askedAt >= 59000) {
    askedAt = Date.now();
    transmit({ type: "availability" });
  }
}, 15000);
window.addEventListener("online", reconnectNow);
