/* The chat console (docs/chat.md, "The console"): alerts and the reply box.
 *
 * app.js turns the live channel's chat notices into `fd:chat-changed` on <body> (and
 * `fd:chat-open-changed` for the open chat), which htmx uses to re-fetch the board, the
 * transcript and the visitor panel. Here the same notices ring: a short tone and, once
 * the agent allowed it, a desktop notification for a new waiting chat and for a
 * visitor's message in one of the agent's chats; the count of those not yet seen goes
 * in the page title until the tab is looked at again. `fd:chat-typing` shows the
 * visitor typing; the agent's own typing is posted for the visitor's widget.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-chat-console]");
  if (!root) return;
  var body = document.body;
  var openChat = root.getAttribute("data-open-chat");
  var baseTitle = document.title;
  var unread = 0;
  var audio = null;

  function listed(group, chat) {
    var board = document.getElementById("chat-board");
    var ids = board ? (board.getAttribute("data-" + group) || "").split(" ") : [];
    return ids.indexOf(chat) !== -1;
  }

  // Browsers allow sound only after the page was used: the tone is ready after a click or key.
  function unlockAudio() {
    if (audio || !window.AudioContext) return;
    audio = new window.AudioContext();
  }
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.addEventListener("keydown", unlockAudio, { once: true });

  function tone() {
    if (!audio) return;
    var oscillator = audio.createOscillator();
    var gain = audio.createGain();
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.4);
  }

  // Who it is about: the name the visitor gave, else "Visitor" and the id's end, as the board says.
  function visitorOf(notice) {
    if (notice.visitor) return notice.visitor;
    var chat = notice.chat || "";
    var row = document.querySelector('#chat-board a.row__link[href="/chats/' + chat + '"]');
    if (row) return row.textContent.trim();
    return (root.getAttribute("data-visitor-label") || "{id}").replace("{id}", chat.slice(-4));
  }

  function notify(text, chat, who) {
    if (!window.Notification || Notification.permission !== "granted") return;
    var shown = new Notification(text, { body: who || "", tag: "frontdesk-chat-" + chat });
    shown.addEventListener("click", function () {
      window.focus();
      window.location.assign("/chats/" + chat);
    });
  }

  function showTitle() {
    document.title = unread > 0 ? "(" + unread + ") " + baseTitle : baseTitle;
    root.setAttribute("data-unread", String(unread));
  }

  var rang = {};
  function alertAgent(text, chat, who) {
    // One ring per chat and moment: a new chat that is also offered to me rings once.
    if (rang[chat] && Date.now() - rang[chat] < 3000) return;
    rang[chat] = Date.now();
    tone();
    notify(text, chat, who);
    if (document.hidden || chat !== openChat) {
      unread += 1;
      showTitle();
    }
    window.Frontdesk.announce(text);
  }

  function seen() {
    if (document.hidden) return;
    unread = 0;
    showTitle();
  }
  document.addEventListener("visibilitychange", seen);
  window.addEventListener("focus", seen);

  body.addEventListener("fd:chat-changed", function (event) {
    var notice = event.detail || {};
    if (!notice.chat) return;
    if (notice.kind === "chat.changed" && notice.status === "waiting" && !listed("waiting", notice.chat)) {
      alertAgent(root.getAttribute("data-new-chat-label"), notice.chat, visitorOf(notice));
    } else if (notice.kind === "chat.message" && notice.sender === "visitor" && listed("mine", notice.chat)) {
      alertAgent(root.getAttribute("data-new-message-label"), notice.chat, visitorOf(notice));
    }
  });

  // Routing: a chat newly offered to this agent rings; when the current offers pass to
  // the next agent (data-next-offer, epoch ms), the board is fetched again.
  var offered = listedOffers();
  var offerTimer = null;
  function listedOffers() {
    var board = document.getElementById("chat-board");
    return board ? (board.getAttribute("data-offered") || "").split(" ").filter(Boolean) : [];
  }
  function watchOffers() {
    var board = document.getElementById("chat-board");
    var due = board ? parseInt(board.getAttribute("data-next-offer"), 10) : NaN;
    window.clearTimeout(offerTimer);
    if (!isNaN(due)) {
      offerTimer = window.setTimeout(function () {
        body.dispatchEvent(new CustomEvent("fd:offers-due"));
      }, Math.max(500, due - Date.now() + 250));
    }
  }
  body.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "chat-board") return;
    var now = listedOffers();
    now.filter(function (chat) { return offered.indexOf(chat) === -1; }).forEach(function (chat) {
      alertAgent(root.getAttribute("data-offered-label"), chat, visitorOf({ chat: chat }));
    });
    offered = now;
    watchOffers();
  });
  watchOffers();

  // Status: each console tab beats every few seconds, saying whether the agent used it
  // lately (else they show as away), and says goodbye when it closes (the last tab closing
  // makes them offline). The status select applies at once.
  var tab = Math.random().toString(36).slice(2) + Date.now().toString(36);
  var lastUsed = Date.now();
  var awayAfter = (parseInt(root.getAttribute("data-away-after"), 10) || 300) * 1000;
  var beatUrl = root.getAttribute("data-heartbeat-url");
  function csrf() { return document.querySelector('meta[name="csrf-token"]').content; }
  function beat(gone) {
    var data = new FormData();
    data.append("tab", tab);
    data.append("active", Date.now() - lastUsed < awayAfter ? "true" : "false");
    if (gone) {
      data.append("gone", "true");
      data.append("csrf_token", csrf());
      navigator.sendBeacon(beatUrl, data);
      return;
    }
    fetch(beatUrl, { method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } });
  }
  ["pointerdown", "keydown", "scroll"].forEach(function (name) {
    document.addEventListener(name, function () { lastUsed = Date.now(); }, { passive: true });
  });
  beat(false);
  window.setInterval(function () { beat(false); }, (parseInt(root.getAttribute("data-heartbeat"), 10) || 15) * 1000);
  window.addEventListener("pagehide", function () { beat(true); });
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("[data-status-form]");
    if (form) form.requestSubmit();
  });

  // Desktop notifications need the agent's yes, asked from a click (browsers insist).
  var button = root.querySelector("[data-notify-button]");
  function offerNotifications() {
    var current = root.querySelector("[data-notify-button]");
    if (current && window.Notification && Notification.permission === "default") {
      current.hidden = false;
    }
  }
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-notify-button]");
    if (!target) return;
    Notification.requestPermission().then(function () { target.hidden = true; });
  });
  if (button) offerNotifications();
  body.addEventListener("htmx:afterSwap", offerNotifications);

  // The visitor types: shown under the transcript until they stop, send, or go quiet.
  var typingLine = document.getElementById("chat-typing");
  var typingHide = null;
  body.addEventListener("fd:chat-typing", function (event) {
    var notice = event.detail || {};
    if (!typingLine || notice.chat !== openChat || notice.who !== "visitor") return;
    window.clearTimeout(typingHide);
    typingLine.textContent = notice.typing ? typingLine.getAttribute("data-typing-label") : "";
    var seconds = parseInt(typingLine.getAttribute("data-typing-seconds"), 10) || 6;
    typingHide = window.setTimeout(function () { typingLine.textContent = ""; }, seconds * 1000);
  });
  body.addEventListener("fd:chat-open-changed", function (event) {
    var notice = event.detail || {};
    if (typingLine && notice.kind === "chat.message" && notice.sender === "visitor") {
      typingLine.textContent = "";  // the message the visitor was typing has arrived
    }
  });

  // The reply box: Enter sends, Shift+Enter is a new line; a sent reply empties the box.
  var form = document.querySelector("[data-chat-reply]");
  if (!form) return;
  var text = form.querySelector("textarea");

  // The agent types: the visitor is told at most every 3 s, and told when the box empties.
  var typingUrl = form.getAttribute("data-typing-url");
  var lastTyping = 0;
  function sendTyping(typing) {
    var data = new FormData();
    data.append("typing", typing ? "true" : "false");
    fetch(typingUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content },
    });
  }
  text.addEventListener("input", function () {
    if (!text.value.trim()) {
      if (lastTyping) sendTyping(false);
      lastTyping = 0;
    } else if (Date.now() - lastTyping > 3000) {
      lastTyping = Date.now();
      sendTyping(true);
    }
  });
  text.addEventListener("keydown", function (event) {
    var choosing = text.hasAttribute("data-canned-open");  // canned.js has Enter
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !choosing) {
      event.preventDefault();
      if (text.value.trim()) form.requestSubmit();
    }
  });
  // Each reply carries a ref of its own (docs/chat.md, "No doubles"): sent again after a
  // failed or unanswered request, the same text keeps its ref and the server stores it
  // once; an edited text is a new message with a new ref. A capturing listener on the
  // document runs before htmx reads the form.
  var ref = form.querySelector("[data-chat-ref]");
  var refText = null;
  function newRef() {
    var bytes = new Uint8Array(16);  // getRandomValues works over plain http too
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  document.addEventListener("submit", function (event) {
    if (event.target !== form || !ref) return;
    if (!ref.value || text.value !== refText) {
      ref.value = newRef();
      refText = text.value;
    }
  }, true);
  form.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) {
      lastTyping = 0;  // the message itself tells the visitor the typing is over
      form.reset();
      if (ref) ref.value = "";  // a hidden input keeps its value through reset()
      refText = null;
      text.focus();
    }
  });

  // The newest message stays in view as the transcript grows.
  function toBottom() {
    var transcript = document.getElementById("chat-transcript");
    if (transcript) transcript.scrollTop = transcript.scrollHeight;
  }
  body.addEventListener("htmx:afterSwap", toBottom);
  toBottom();
})();
