/* Frontdesk's own script, shared by every page (docs/web.md). Loaded with defer after
 * htmx; no inline script exists anywhere, so the Content-Security-Policy can forbid it.
 *
 *   Frontdesk.announce(text, {assertive})    say something to screen readers
 *   Frontdesk.shortcuts.register(keys, label, action)    "g t", "?", "j" ...
 *   Frontdesk.refreshTimes(root)             rewrite <time data-relative> elements
 *
 * Words shown to people come from the server, already translated: data-*-label
 * attributes on <body> and on the elements concerned.
 */
(function () {
  "use strict";

  var body = document.body;

  /* ---------- Live regions ---------- */

  function announce(text, options) {
    var region = document.getElementById(
      options && options.assertive ? "fd-alert" : "fd-announce"
    );
    if (!region || !text) return;
    // Emptied first, so that the same message twice is announced twice.
    region.textContent = "";
    window.setTimeout(function () {
      region.textContent = text;
    }, 50);
  }

  /* ---------- Relative times ---------- */

  // Babel's units and threshold, so the browser rewrites the server's words unchanged.
  var UNITS = [
    ["year", 31536000],
    ["month", 2592000],
    ["week", 604800],
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
    ["second", 1],
  ];
  var JUST_NOW_SECONDS = 45;
  var formatter = null;

  function relative(date, now) {
    var seconds = (date.getTime() - now) / 1000;
    if (Math.abs(seconds) < JUST_NOW_SECONDS) return body.dataset.justNowLabel || "";
    formatter = formatter || new Intl.RelativeTimeFormat(document.documentElement.lang);
    for (var i = 0; i < UNITS.length; i++) {
      var amount = Math.abs(seconds) / UNITS[i][1];
      if (amount >= 0.85) {
        var rounded = Math.max(1, Math.round(amount));
        return formatter.format(seconds < 0 ? -rounded : rounded, UNITS[i][0]);
      }
    }
    return body.dataset.justNowLabel || "";
  }

  function refreshTimes(root) {
    var now = Date.now();
    (root || document).querySelectorAll("time[data-relative]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      var text = isNaN(date.getTime()) ? "" : relative(date, now);
      if (text && el.textContent !== text) el.textContent = text;
    });
  }

  /* ---------- Keyboard shortcuts ---------- */

  var registry = []; // {keys: ["g", "t"], label, action, element}
  var pressed = [];
  var pressedTimer = null;
  var SEQUENCE_MS = 1200;

  function register(keys, label, action, element) {
    var sequence = keys.trim().split(/\s+/);
    registry = registry.filter(function (entry) {
      return entry.keys.join(" ") !== sequence.join(" ");
    });
    registry.push({ keys: sequence, label: label, action: action, element: element || null });
  }

  function live() {
    // An element's shortcut leaves with the element (an htmx swap removed it).
    registry = registry.filter(function (entry) {
      return !entry.element || document.contains(entry.element);
    });
    return registry.slice();
  }

  function registerDeclared(root) {
    root.querySelectorAll("[data-shortcut]").forEach(function (el) {
      var label = el.getAttribute("data-shortcut-label") || el.textContent.trim();
      register(el.getAttribute("data-shortcut"), label, function () { el.click(); }, el);
    });
  }

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function startsWith(keys, prefix) {
    return prefix.every(function (key, i) { return keys[i] === key; });
  }

  function onKeydown(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target) || event.key.length !== 1) return;
    var help = document.getElementById("fd-shortcuts");
    if (help && help.open && event.key !== "?") return; // the open dialog has the keys
    pressed.push(event.key);
    window.clearTimeout(pressedTimer);
    pressedTimer = window.setTimeout(function () { pressed = []; }, SEQUENCE_MS);
    var entries = live();
    var candidates = entries.filter(function (e) { return startsWith(e.keys, pressed); });
    if (!candidates.length) {
      // Not a continuation: perhaps the start of another shortcut.
      pressed = [event.key];
      candidates = entries.filter(function (e) { return startsWith(e.keys, pressed); });
    }
    var exact = candidates.filter(function (e) { return e.keys.length === pressed.length; });
    if (candidates.length) event.preventDefault();
    if (exact.length) {
      pressed = [];
      exact[0].action(event);
    } else if (!candidates.length) {
      pressed = [];
    }
  }

  function toggleHelp() {
    var dialog = document.getElementById("fd-shortcuts");
    if (!dialog) return;
    if (dialog.open) {
      dialog.close();
      return;
    }
    var list = dialog.querySelector("[data-shortcut-list]");
    list.replaceChildren();
    live().forEach(function (entry) {
      var dt = document.createElement("dt");
      entry.keys.forEach(function (key) {
        var kbd = document.createElement("kbd");
        kbd.textContent = key;
        dt.appendChild(kbd);
      });
      var dd = document.createElement("dd");
      dd.textContent = entry.label;
      list.append(dt, dd);
    });
    dialog.showModal();
  }

  /* ---------- htmx ---------- */

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if ((event.detail.verb || "get").toLowerCase() === "get") return;
    // Read at each request: the session layer may rotate the token in the meta.
    var token = csrfToken();
    if (token) event.detail.headers["X-CSRF-Token"] = token;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    refreshTimes(target);
    registerDeclared(target);
    var notice = target.matches("[data-announce]") ? target : target.querySelector("[data-announce]");
    if (notice) announce(notice.getAttribute("data-announce"));
  });

  function onFailure() {
    announce(body.dataset.errorLabel, { assertive: true });
  }
  document.addEventListener("htmx:responseError", onFailure);
  document.addEventListener("htmx:sendError", onFailure);

  /* ---------- The workspace: queue keys, composer, drafts, live channel, presence ---------- */

  function post(url, fields) {
    var data = new FormData();
    Object.keys(fields).forEach(function (key) { data.append(key, fields[key]); });
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken() },
    });
  }

  // j / k move through the queue, x picks the current row, Enter opens it (a link).
  function queueKeys() {
    var list = document.querySelector("[data-queue]");
    if (!list) return;
    function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-queue] .queue-row")); }
    function move(step) {
      var all = rows();
      if (!all.length) return;
      var index = all.findIndex(function (row) { return row.classList.contains("is-current"); });
      var next = Math.min(all.length - 1, Math.max(0, index + step));
      if (index === -1) next = 0;
      all.forEach(function (row) { row.classList.remove("is-current"); });
      all[next].classList.add("is-current");
      all[next].querySelector(".row__link").focus();
    }
    register("j", list.getAttribute("data-next-label"), function () { move(1); });
    register("k", list.getAttribute("data-previous-label"), function () { move(-1); });
    register("x", list.getAttribute("data-pick-label"), function () {
      var current = document.querySelector("[data-queue] .queue-row.is-current .queue-row__check");
      if (current) current.click();
    });
  }

  function searchKey() {
    var box = document.querySelector("[data-search-box]");
    if (box) register("/", box.getAttribute("data-shortcut-label"), function () { box.focus(); box.select(); });
  }

  function statusKey() {
    var select = document.querySelector("[data-status-select]");
    if (select) register("s", select.getAttribute("data-shortcut-label"), function () { select.focus(); });
  }

  // Links with data-focus move the focus to a field (r: the reply, n: the note).
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-focus]") : null;
    if (!link) return;
    var field = document.getElementById(link.getAttribute("data-focus"));
    if (field) {
      event.preventDefault();
      field.focus();
      field.scrollIntoView({ block: "center" });
    }
  });

  // Drafts: saved a moment after the agent stops typing, so a reload loses nothing.
  function drafts() {
    document.querySelectorAll("form[data-draft-url]").forEach(function (form) {
      var timer = null;
      var status = form.querySelector("[data-draft-status]");
      function fields() {
        var found = { kind: form.getAttribute("data-draft-kind"), body: form.elements.body.value };
        ["to", "cc", "bcc"].forEach(function (name) {
          if (form.elements[name]) found[name] = form.elements[name].value;
        });
        return found;
      }
      form.addEventListener("input", function (event) {
        if (event.target.type === "file") return;
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          timer = null;
          post(form.getAttribute("data-draft-url"), fields()).then(function (answer) {
            if (answer.ok && status) status.textContent = status.getAttribute("data-saved-label");
          });
        }, 800);
      });
      // Sending the form ends the draft (the server discards it): nothing left to save.
      form.addEventListener("submit", function () { window.clearTimeout(timer); timer = null; });
      // Leaving the page with typing not yet saved: save it on the way out.
      window.addEventListener("pagehide", function () {
        if (timer === null) return;
        window.clearTimeout(timer);
        var data = new FormData();
        var pending = fields();
        Object.keys(pending).forEach(function (key) { data.append(key, pending[key]); });
        data.append("csrf_token", csrfToken());
        navigator.sendBeacon(form.getAttribute("data-draft-url"), data);
      });
    });
  }

  // Presence: this tab views the ticket, or replies on it while the agent types.
  var tab = Math.random().toString(36).slice(2) + Date.now().toString(36);
  function presence() {
    var ticket = document.querySelector("[data-presence-url]");
    if (!ticket) return;
    var url = ticket.getAttribute("data-presence-url");
    var seconds = parseInt(ticket.getAttribute("data-heartbeat"), 10) || 15;
    var state = "viewing";
    var quiet = null;
    function send() { post(url, { state: state, tab: tab }); }
    function become(next) {
      if (next !== state) { state = next; send(); }
    }
    send();
    window.setInterval(send, seconds * 1000);
    document.querySelectorAll("form[data-presence-state]").forEach(function (form) {
      form.addEventListener("input", function () {
        become(form.getAttribute("data-presence-state"));
        window.clearTimeout(quiet);
        quiet = window.setTimeout(function () { become("viewing"); }, 30000);
      });
    });
    window.addEventListener("pagehide", function () {
      var data = new FormData();
      data.append("state", "gone");
      data.append("tab", tab);
      data.append("csrf_token", csrfToken());
      navigator.sendBeacon(url, data);
    });
  }

  // The live channel: small "this changed" notices; the page re-fetches its fragments.
  function liveChannel() {
    var scope = document.querySelector("[data-live-scope]");
    if (!scope || !window.EventSource) return;
    var ticket = document.querySelector("[data-ticket-id].ticket");
    var ticketId = ticket ? parseInt(ticket.getAttribute("data-ticket-id"), 10) : null;
    var since = body.getAttribute("data-rendered-at");
    var source = new EventSource("/tickets/live" + (since ? "?since=" + encodeURIComponent(since) : ""));
    var openChat = scope.getAttribute("data-open-chat");
    source.addEventListener("change", function (event) {
      var notice = JSON.parse(event.data);
      if (notice.kind === "chat.typing") {
        body.dispatchEvent(new CustomEvent("fd:chat-typing", { detail: notice }));
        return;
      }
      if (notice.kind.indexOf("chat.") === 0 || notice.kind === "resync") {
        if (inFlight.length) missedChat = true;  // the parts in flight may predate it
        // The chat console (chats.js) hears every chat notice; the open chat re-fetches.
        body.dispatchEvent(new CustomEvent("fd:chat-changed", { detail: notice }));
        if (openChat && (notice.chat === openChat || notice.kind === "resync")) {
          body.dispatchEvent(new CustomEvent("fd:chat-open-changed", { detail: notice }));
        }
        if (notice.kind !== "resync") return;
      }
      if (notice.kind === "presence") {
        if (notice.ticket === ticketId) body.dispatchEvent(new CustomEvent("fd:presence"));
        return;
      }
      if (inFlight.length && notice.ticket) missed = true;  // a ticket's change (not a bell's)
      body.dispatchEvent(new CustomEvent("fd:changed"));
      var mine = ticketId !== null && (notice.ticket === ticketId || notice.kind === "resync");
      if (mine) body.dispatchEvent(new CustomEvent("fd:ticket-changed"));
      if (ticketId === null || mine) tell();
    });
    // A notice that arrives while a live part of the page (the queue, the views, a
    // ticket's thread and side panel) is being fetched would be lost: its trigger waits on
    // the element that the answer in flight replaces, and that answer may have been read
    // before the change. That lasts until the new part has settled (htmx wires its
    // triggers up then), not only until the answer is in. So the notices are played again
    // once every live part asked for has settled.
    var inFlight = [];  // the requests of live parts, until their answers settle
    var missed = false;
    var missedChat = false;  // likewise for the chat console's parts
    function livePart(elt) {
      return !!(elt && elt.getAttribute && /\bfd:/.test(elt.getAttribute("hx-trigger") || ""));
    }
    function settled(xhr) {
      var at = inFlight.indexOf(xhr);
      if (at >= 0) inFlight.splice(at, 1);
    }
    function replay() {
      if (inFlight.length) return;
      if (missedChat) {
        // Played again without the notice's details: the parts re-fetch, nothing rings twice.
        missedChat = false;
        body.dispatchEvent(new CustomEvent("fd:chat-changed", { detail: { kind: "replay" } }));
        if (openChat) body.dispatchEvent(new CustomEvent("fd:chat-open-changed", { detail: {} }));
      }
      if (!missed) return;
      missed = false;
      body.dispatchEvent(new CustomEvent("fd:changed"));
      if (ticketId !== null) body.dispatchEvent(new CustomEvent("fd:ticket-changed"));
    }
    document.addEventListener("htmx:beforeSend", function (event) {
      if (!livePart(event.detail.elt)) return;
      var xhr = event.detail.xhr;
      inFlight.push(xhr);
      xhr.addEventListener("loadend", function () {
        var failed = !xhr.status || xhr.status >= 400;
        // A failed answer settles nothing, nor does one kept out while the agent chooses:
        // neither may hold the replay back for good.
        window.setTimeout(function () { settled(xhr); replay(); }, failed ? 1000 : 2000);
      });
    });
    document.addEventListener("htmx:afterSettle", function (event) {
      if (event.detail && event.detail.xhr) settled(event.detail.xhr);
      replay();
    });
    // Screen readers hear that the page changed, at most every 10 s.
    var told = 0;
    function tell() {
      if (Date.now() - told < 10000) return;
      told = Date.now();
      window.setTimeout(function () { announce(scope.getAttribute("data-updated-label")); }, 600);
    }
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // A live refresh never throws away what the agent is choosing (bulk or split picks, a
  // field they are in): it is not sent while they are, and its answer is not put in if
  // they began while it was on its way (the page asks again a little later).
  function liveRefresh(detail) {
    var trigger = detail.requestConfig && detail.requestConfig.triggeringEvent;
    return !!trigger && /^fd:/.test(trigger.type);
  }
  function choosing(part) {
    if (!part || !part.querySelector) return false;
    if (Array.prototype.some.call(part.querySelectorAll("input, select, textarea"), edited)) {
      return true;
    }
    var active = document.activeElement;
    return !!active && active !== body && part.contains(active) && isTyping(active);
  }
  // A field the agent changed and has not sent yet (a ticked pick, a priority chosen but
  // not set): what the page was rendered with is the field's default.
  function edited(field) {
    if (field.type === "hidden" || field.type === "file") return false;
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    if (field.tagName === "SELECT") {
      if (field.multiple) {
        return Array.prototype.some.call(field.options, function (option) {
          return option.selected !== option.defaultSelected;
        });
      }
      var initial = 0;  // with no option marked selected, a select starts on its first
      Array.prototype.forEach.call(field.options, function (option, index) {
        if (option.defaultSelected) initial = index;
      });
      return field.options.length > 0 && field.selectedIndex !== initial;
    }
    return field.value !== field.defaultValue;
  }
  var waiting = {};  // event type -> a timer that asks again once the agent is done
  function askAgainLater(detail) {
    var type = detail.requestConfig.triggeringEvent.type;
    var part = detail.elt;
    if (waiting[type]) return;
    waiting[type] = window.setInterval(function () {
      if (document.contains(part) && choosing(part)) return;  // nothing asked meanwhile
      window.clearInterval(waiting[type]);
      delete waiting[type];
      body.dispatchEvent(new CustomEvent(type));
    }, 1000);
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!liveRefresh(event.detail) || !choosing(event.detail.elt)) return;
    event.preventDefault();
    askAgainLater(event.detail);
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!liveRefresh(event.detail) || !choosing(event.detail.target)) return;
    event.detail.shouldSwap = false;
    askAgainLater(event.detail);
  });

  /* ---------- Start ---------- */

  var helpDialog = document.getElementById("fd-shortcuts");
  if (helpDialog) register("?", helpDialog.getAttribute("data-shortcut-label"), toggleHelp);
  registerDeclared(document);
  queueKeys();
  searchKey();
  statusKey();
  drafts();
  presence();
  liveChannel();
  document.addEventListener("keydown", onKeydown);
  refreshTimes(document);
  window.setInterval(refreshTimes, 30000);

  window.Frontdesk = {
    announce: announce,
    refreshTimes: refreshTimes,
    shortcuts: {
      register: function (keys, label, action) { register(keys, label, action); },
      list: live,
    },
  };
})();
