// -- the panel: a labelled dialog, a log that announces each message with its sender ------------
var host = document.createElement("div");
host.setAttribute("data-frontdesk", "widget");
var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
var style = document.createElement("style");
var launcher = el("button", "fd-launch");
var launchText = el("span", "fd-launch-text", t("launcher"));
var badge = el("span", "fd-badge");
var panel = el("div", "fd-panel");
var head = el("div", "fd-head");
var heading = el("div", "fd-heading");
var title = el("h2", "fd-title");
var subtitle = el("p", "fd-sub");
var endButton = el("button", "fd-end", t("end"));
var closeButton = el("button", "fd-close", "\u00d7");
var connection = el("div", "fd-state");
var log = el("div", "fd-log");
var greeting = el("p", "fd-greeting");
var typingLine = el("div", "fd-typing");
var waitLine = el("div", "fd-wait");
var rating = el("div", "fd-rate");
var form = el("form", "fd-form");
var input = el("input", "fd-input");
var send = el("button", "fd-send", t("send"));
var offline = el("form", "fd-offline");

(function build() {
  launcher.setAttribute("type", "button");
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "fd-panel");
  badge.hidden = true;
  launcher.appendChild(launchText); launcher.appendChild(badge);
  panel.id = "fd-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-labelledby", "fd-title");
  title.id = "fd-title";
  endButton.setAttribute("type", "button");
  closeButton.setAttribute("type", "button");
  closeButton.setAttribute("aria-label", t("close"));
  heading.appendChild(title); heading.appendChild(subtitle);
  head.appendChild(heading); head.appendChild(endButton); head.appendChild(closeButton);
  connection.setAttribute("role", "status");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", t("log"));
  log.setAttribute("tabindex", "0"); // scrollable: reachable by keyboard
  log.appendChild(greeting);
  typingLine.hidden = true;
  waitLine.hidden = true;
  waitLine.setAttribute("role", "status");
  var question = el("p", "fd-question", t("rateQuestion"));
  question.id = "fd-rate-question";
  var stars = el("div", "fd-stars");
  stars.setAttribute("role", "group");
  stars.setAttribute("aria-labelledby", "fd-rate-question");
  for (var star = 1; star <= 5; star++) stars.appendChild(rateButton(star));
  rating.appendChild(question); rating.appendChild(stars);
  var inputLabel = el("label", "fd-sr", t("inputLabel"));
  inputLabel.setAttribute("for", "fd-input");
  input.id = "fd-input";
  input.setAttribute("placeholder", t("placeholder"));
  input.setAttribute("maxlength", "5000");
  input.setAttribute("autocomplete", "off");
  send.setAttribute("type", "submit");
  form.appendChild(inputLabel); form.appendChild(input); form.appendChild(send);
  buildOffline();
  [head, connection, log, typingLine, waitLine, rating, form, offline].forEach(function (part) {
    panel.appendChild(part);
  });
  root.appendChild(style); root.appendChild(panel); root.appendChild(launcher);
})();

function buildOffline() {
  offline.hidden = true;
  offline.setAttribute("novalidate", "");
  offline.appendChild(el("p", "fd-away"));
  [["name", "text", "name"], ["email", "email", "email"], ["message", "textarea", "off"]].forEach(
    function (field) {
      var label = el("label", "", t(field[0]));
      var box = el(field[1] === "textarea" ? "textarea" : "input", "fd-field-" + field[0]);
      box.id = "fd-offline-" + field[0];
      box.name = field[0];
      box.required = true;
      if (field[1] !== "textarea") box.type = field[1];
      else box.rows = 3;
      box.setAttribute("autocomplete", field[2]);
      label.setAttribute("for", box.id);
      offline.appendChild(label); offline.appendChild(box);
    }
  );
  var problem = el("p", "fd-error");
  problem.setAttribute("role", "alert");
  var leave = el("button", "fd-leave", t("leave"));
  leave.setAttribute("type", "submit");
  offline.appendChild(problem); offline.appendChild(leave);
}

function el(tag, cls, text) {
  var node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text) node.textContent = text;
  return node;
}
function rateButton(value) {
  var button = el("button", "fd-star", String(value) + " \u2605");
  button.setAttribute("type", "button");
  button.setAttribute("aria-label", t("star", { n: value }));
  button.addEventListener("click", function () {
    if (!state.rateable) return;
    state.rateable = false; // once: the row does not come back, whatever arrives next
    showRating();
    command({ type: "rate", rating: value });
    note(t("thanks"));
  });
  return button;
}

// Settings from the welcome (kept in localStorage, so a returning visitor sees them at once).
function applySettings() {
  var widget = saved.widget || {};
  style.textContent = css(widget);
  var team = widget.teamName || t("title");
  title.textContent = team;
  greeting.textContent = own("greeting", "greeting");
  offline.querySelector(".fd-away").textContent = own("offline", "away");
}

function note(text) { var n = el("p", "fd-note", text); log.appendChild(n); scroll(); return n; }
function scroll() { log.scrollTop = log.scrollHeight; }
function isOpen() { return panel.classList.contains("fd-open"); }
function setOpen(open) {
  panel.classList.toggle("fd-open", open);
  launcher.setAttribute("aria-expanded", open ? "true" : "false");
  if (open) {
    markRead();
    var first = form.hidden ? offline.querySelector("input") : input;
    first.focus();
    scroll();
  }
}
function clock(date) {
  var when = date ? new Date(date) : new Date();
  return when.toLocaleTimeString(language === "sv" ? "sv-SE" : "en-GB", { hour: "2-digit", minute: "2-digit" });
}
function avatar(agentId, name) {
  var picture = state.pictures[agentId];
  if (picture && /^https?:\/\//i.test(picture)) {
    var image = el("img", "fd-avatar");
    image.setAttribute("alt", ""); // decorative: the name is written beside it
    image.src = picture;
    return image;
  }
  var initial = el("span", "fd-avatar", (name || "?").trim().charAt(0).toUpperCase());
  initial.setAttribute("aria-hidden", "true");
  return initial;
}
// One message: "Sender, 10:42" then the text, so a screen reader announces who wrote it.
function bubble(visitor, name, text, date, agentId) {
  var row = el("div", "fd-msg " + (visitor ? "fd-visitor" : "fd-agent"));
  var body = el("div", "fd-body");
  var meta = el("span", "fd-meta", (visitor ? t("you") : name) + ", " + clock(date));
  body.appendChild(meta);
  body.appendChild(el("span", "fd-text", text));
  if (!visitor) row.appendChild(avatar(agentId, name));
  row.appendChild(body);
  log.appendChild(row);
  scroll();
  return row;
}
function setMeta(row, text) { row.querySelector(".fd-meta").textContent = text; }

// -- unread: a badge on the launcher and a count in the tab title while the panel is closed ------
var TITLE_COUNT = /^\(\d+\) /;
function countUnread(id) {
  if (isOpen() && document.visibilityState !== "hidden") { markRead(); return; }
  if (id <= (saved.readId || 0)) return;
  state.unread += 1;
  showUnread();
}
function markRead() {
  state.unread = 0;
  if (state.lastId > (saved.readId || 0)) { saved.readId = state.lastId; save(); }
  showUnread();
}
function showUnread() {
  badge.hidden = state.unread === 0;
  badge.textContent = String(state.unread);
  badge.setAttribute("aria-label", t("unread", { n: state.unread }));
  var base = document.title.replace(TITLE_COUNT, "");
  document.title = state.unread ? "(" + state.unread + ") " + base : base;
}
document.addEventListener("visibilitychange", function () {
  if (document.visibilityState === "visible" && isOpen()) markRead();
});
