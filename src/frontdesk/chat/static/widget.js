/* Frontdesk chat widget. Embed with one tag:
 *   <script src="https://FRONTDESK/widget.js?id=WIDGET_ID" async></script>
 * Commands from the host page, queued until the widget is connected:
 *   window._frontdesk = window._frontdesk || [];
 *   _frontdesk.push(["changeName", "John Doe"]);
 *   _frontdesk.push(["insertCard", "1", "Name: John Doe"]);   // or ["insertCard", {id, data}]
 *   _frontdesk.push(["setTag", "vip"]);
 *   _frontdesk.push(["setLabel", "Support"]);
 *   _frontdesk.push(["open"]); _frontdesk.push(["close"]);
 * Protocol: docs/chat.md. Everything shown is set with textContent, never as HTML.
 */
(function () {
  "use strict";
  if (window.__frontdeskWidget) return;
  var script = document.currentScript || (function () {
    var all = document.querySelectorAll("script[src*='widget.js']");
    return all[all.length - 1];
  })();
  if (!script) return;
  var src = new URL(script.src, location.href);
  var widgetId = src.searchParams.get("id");
  if (!widgetId) return;
  var socketUrl = (src.protocol === "https:" ? "wss://" : "ws://") + src.host + "/chat/ws/visitor";
  var storeKey = "frontdesk:" + widgetId;

  var state = {
    socket: null, ready: false, lastId: 0, seen: {}, pending: [], backoff: 500,
    status: "new", stopped: false, counter: 0,
    // The rating is offered once per chat: derived from the messages in order (a chat
    // ends with chatClosed, is rated with a rating message), seeded by the welcome.
    closed: false, answered: false, rateable: false
  };
  var saved = load();

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(saved)); } catch (e) { /* private mode */ }
  }
  function ref() {
    state.counter += 1;
    return "w" + Date.now().toString(36) + "-" + state.counter + "-" + Math.random().toString(36).slice(2, 8);
  }

  // -- the panel ---------------------------------------------------------------------------
  var host = document.createElement("div");
  host.setAttribute("data-frontdesk", "widget");
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = document.createElement("style");
  style.textContent =
    ".fd-launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;" +
    "padding:12px 18px;background:#1f6feb;color:#fff;font:600 14px system-ui,sans-serif;cursor:pointer}" +
    ".fd-panel{position:fixed;right:20px;bottom:76px;z-index:2147483000;width:320px;height:420px;display:none;" +
    "flex-direction:column;background:#fff;border:1px solid #d0d7de;border-radius:12px;" +
    "box-shadow:0 8px 24px rgba(0,0,0,.15);font:14px system-ui,sans-serif;color:#1f2328}" +
    ".fd-panel.fd-open{display:flex}.fd-head{display:flex;justify-content:space-between;align-items:center;" +
    "padding:10px 12px;border-bottom:1px solid #d0d7de;font-weight:600}" +
    ".fd-end{border:0;background:none;color:#57606a;cursor:pointer}" +
    ".fd-log{flex:1;overflow-y:auto;padding:10px 12px}.fd-msg{margin:6px 0;padding:6px 10px;border-radius:10px;" +
    "max-width:80%;white-space:pre-wrap;word-wrap:break-word}.fd-visitor{margin-left:auto;background:#ddf4ff}" +
    ".fd-agent{background:#f6f8fa}.fd-note{color:#57606a;font-size:12px;text-align:center;margin:6px 0}" +
    ".fd-rate{display:none;justify-content:center;gap:4px;padding:6px}.fd-rate.fd-open{display:flex}" +
    ".fd-rate button{border:1px solid #d0d7de;background:#fff;border-radius:6px;cursor:pointer}" +
    ".fd-form{display:flex;border-top:1px solid #d0d7de}.fd-input{flex:1;border:0;padding:10px;font:inherit}" +
    ".fd-send{border:0;background:#1f6feb;color:#fff;padding:0 14px;cursor:pointer;border-radius:0 0 12px 0}";
  var launcher = el("button", "fd-launch", "Chat with us");
  var panel = el("div", "fd-panel");
  var head = el("div", "fd-head");
  var title = el("span", "fd-title", "Chat");
  var endButton = el("button", "fd-end", "End chat");
  var log = el("div", "fd-log");
  var rating = el("div", "fd-rate");
  var form = el("form", "fd-form");
  var input = el("input", "fd-input");
  var send = el("button", "fd-send", "Send");
  input.setAttribute("placeholder", "Write a message");
  input.setAttribute("maxlength", "5000");
  send.setAttribute("type", "submit");
  head.appendChild(title); head.appendChild(endButton);
  form.appendChild(input); form.appendChild(send);
  for (var star = 1; star <= 5; star++) rating.appendChild(rateButton(star));
  panel.appendChild(head); panel.appendChild(log); panel.appendChild(rating); panel.appendChild(form);
  root.appendChild(style); root.appendChild(launcher); root.appendChild(panel);

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    node.className = cls;
    if (text) node.textContent = text;
    return node;
  }
  function rateButton(value) {
    var button = el("button", "fd-star", String(value) + "\u2605");
    button.setAttribute("type", "button");
    button.addEventListener("click", function () {
      if (!state.rateable) return;
      state.rateable = false; // once: the row does not come back, whatever arrives next
      showRating();
      command({ type: "rate", rating: value });
      note("Thanks for your rating");
    });
    return button;
  }
  function note(text) { var n = el("div", "fd-note", text); log.appendChild(n); scroll(); }
  function scroll() { log.scrollTop = log.scrollHeight; }
  function setOpen(open) { panel.classList.toggle("fd-open", open); if (open) input.focus(); }

  launcher.addEventListener("click", function () { setOpen(!panel.classList.contains("fd-open")); });
  endButton.addEventListener("click", function () { if (state.status === "waiting" || state.status === "active") command({ type: "close" }); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    command({ type: "message", text: text });
  });

  // -- messages ----------------------------------------------------------------------------
  function show(frame) {
    if (state.seen[frame.id]) return; // a replay after a reconnect: already shown
    state.seen[frame.id] = true;
    if (frame.id > state.lastId) state.lastId = frame.id;
    if (frame.agentID === null) return system(frame.message);
    chatActivity();
    if (frame.agentID > 0) state.answered = true;
    var bubble = el("div", "fd-msg " + (frame.agentID === 0 ? "fd-visitor" : "fd-agent"));
    bubble.setAttribute("data-id", String(frame.id));
    bubble.textContent = frame.message;
    log.appendChild(bubble);
    scroll();
  }
  function system(body) {
    var event;
    try { event = JSON.parse(body); } catch (e) { return; }
    if (event.type === "agentJoin") { chatActivity(); note("An agent joined the chat"); }
    else if (event.type === "transfer") { chatActivity(); note("You were transferred to another agent"); }
    else if (event.type === "chatClosed") {
      state.closed = true; state.rateable = state.answered; note("The chat has ended");
    } else if (event.type === "rating") state.rateable = false;
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
    title.textContent = agent && agent.name ? agent.name : "Chat";
    showRating();
  }

  // -- the browser proof (docs/chat.md, "Flooding") -----------------------------------------
  // SHA-256 over an ASCII string, small and synchronous (crypto.subtle is async per hash and
  // missing on plain-http pages). The constants are the fractional parts of the square and
  // cube roots of the first primes, computed here rather than listed.
  var SHA_K = [], SHA_H = [];
  (function () {
    function frac(x) { return ((x - Math.floor(x)) * 4294967296) >>> 0; }
    for (var n = 2, found = 0; found < 64; n++) {
      var prime = true;
      for (var d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
      if (!prime) continue;
      if (found < 8) SHA_H.push(frac(Math.sqrt(n)));
      SHA_K.push(frac(Math.cbrt(n)));
      found++;
    }
  })();
  function sha256Words(text) {
    var length = text.length, blocks = ((length + 8) >> 6) + 1, words = new Array(blocks * 16);
    for (var i = 0; i < words.length; i++) words[i] = 0;
    for (i = 0; i < length; i++) words[i >> 2] |= (text.charCodeAt(i) & 255) << (24 - (i % 4) * 8);
    words[length >> 2] |= 0x80 << (24 - (length % 4) * 8);
    words[words.length - 1] = length * 8;
    var h = SHA_H.slice(), w = new Array(64);
    for (var block = 0; block < words.length; block += 16) {
      var a = h[0], b = h[1], c = h[2], e = h[4], f = h[5], g = h[6], dd = h[3], hh = h[7];
      for (var t = 0; t < 64; t++) {
        if (t < 16) w[t] = words[block + t];
        else {
          var x = w[t - 15], y = w[t - 2];
          var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
          var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
          w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
        }
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var t1 = (hh + S1 + ((e & f) ^ (~e & g)) + SHA_K[t] + w[t]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        hh = g; g = f; f = e; e = (dd + t1) | 0; dd = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + dd) | 0;
      h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
    }
    return h;
  }
  function zeroBits(h) {
    for (var i = 0, bits = 0; i < 8; i++) {
      var word = h[i] >>> 0;
      if (word === 0) { bits += 32; continue; }
      return bits + Math.clz32(word);
    }
    return bits;
  }
  // Finds the nonce in slices, so the page stays responsive while it works.
  function prove(proof, done) {
    var nonce = 0;
    (function slice() {
      var end = nonce + 4000;
      for (; nonce < end; nonce++) {
        if (zeroBits(sha256Words(proof.challenge + ":" + nonce)) >= proof.bits) return done(String(nonce));
      }
      setTimeout(slice, 0);
    })();
  }

  // -- the connection ----------------------------------------------------------------------
  function command(frame) {
    frame.ref = ref();
    state.pending.push(frame);
    if (state.ready) transmit(frame);
  }
  function transmit(frame) {
    try { state.socket.send(JSON.stringify(frame)); } catch (e) { /* resent after reconnect */ }
  }
  function acknowledge(reference) {
    state.pending = state.pending.filter(function (frame) { return frame.ref !== reference; });
  }
  function connect() {
    if (state.stopped) return;
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
      if (frame.type === "welcome") {
        if (frame.token) {
          if (saved.conversationId && saved.conversationId !== frame.conversationId) reset();
          saved = { conversationId: frame.conversationId, token: frame.token };
          save();
        }
        state.backoff = 500;
        if (frame.rateable) { state.closed = true; state.answered = true; }
        state.rateable = !!frame.rateable;
        status(frame.status, frame.agent);
        // A new conversation proves it runs in a browser before anything else is sent;
        // the server handles frames in order, so what follows comes after the proof.
        if (frame.proof) answer(socket, frame.proof, ready); else ready();
      } else if (frame.type === "message") {
        show(frame);
      } else if (frame.type === "status") {
        status(frame.status, frame.agent);
      } else if (frame.type === "ack") {
        acknowledge(frame.ref);
      } else if (frame.type === "error") {
        acknowledge(frame.ref);
        if (frame.proof) answer(socket, frame.proof, function () {}); // expired: a new one
        if (frame.code === "nothing_to_rate" || frame.code === "already_rated") {
          state.rateable = false; showRating();
        } else note("Not sent: " + frame.message);
      }
    };
    socket.onclose = function (event) {
      state.ready = false;
      if (event.code === 4404 || event.code === 4400) { state.stopped = true; return; }
      var wait = event.code === 4429 ? 15000 : state.backoff;
      state.backoff = Math.min(state.backoff * 2, 10000);
      setTimeout(connect, wait + Math.random() * 250);
    };
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
    state.pending.forEach(transmit); // unacknowledged: the server drops repeats by ref
  }
  function reset() {
    state.seen = {}; state.lastId = 0; state.answered = false; state.closed = false;
    state.rateable = false;
    while (log.firstChild) log.removeChild(log.firstChild);
  }

  // -- page changes and host commands -----------------------------------------------------
  var lastPage = location.href;
  function pageChanged() {
    if (location.href === lastPage) return;
    lastPage = location.href;
    command({ type: "page", url: location.href });
  }
  ["pushState", "replaceState"].forEach(function (name) {
    var original = history[name];
    history[name] = function () {
      var result = original.apply(this, arguments);
      pageChanged();
      return result;
    };
  });
  window.addEventListener("popstate", pageChanged);
  window.addEventListener("hashchange", pageChanged);

  var commands = {
    changeName: function (name) { command({ type: "name", name: String(name) }); },
    insertCard: function (id, data) {
      if (id && typeof id === "object") { data = id.data; id = id.id !== undefined ? id.id : id.dataID; }
      command({ type: "card", id: String(id), data: String(data === undefined ? "" : data) });
    },
    setTag: function (tag) { command({ type: "tag", tag: String(tag) }); },
    setLabel: function (label) { command({ type: "label", label: String(label) }); },
    open: function () { setOpen(true); },
    close: function () { setOpen(false); }
  };
  function run(entry) {
    if (!entry || !entry.length || !commands.hasOwnProperty(entry[0])) return;
    commands[entry[0]].apply(null, Array.prototype.slice.call(entry, 1));
  }
  var queued = window._frontdesk;
  window._frontdesk = { push: function () { for (var i = 0; i < arguments.length; i++) run(arguments[i]); } };
  if (queued && queued.length) queued.forEach(run);
  window.__frontdeskWidget = { state: state, conversation: function () { return saved.conversationId; } };

  function mount() { document.body.appendChild(host); connect(); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
