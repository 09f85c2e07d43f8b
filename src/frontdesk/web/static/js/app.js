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

  /* ---------- Start ---------- */

  var helpDialog = document.getElementById("fd-shortcuts");
  if (helpDialog) register("?", helpDialog.getAttribute("data-shortcut-label"), toggleHelp);
  registerDeclared(document);
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
