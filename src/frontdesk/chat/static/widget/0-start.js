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
  socket: null, ready: false, connectedOnce: false, lastId: 0, seen: {}, pending: [],
  backoff: 500, timer: null, status: "new", stopped: false, counter: 0,
  // The rating is offered once per chat: derived from the messages in order (a chat
  // ends with chatClosed, is rated with a rating message), seeded by the welcome.
  closed: false, answered: false, rateable: false,
  agentsOnline: true, queue: null, unread: 0, pictures: {}, bubbles: {}, offlineRef: null,
  typingOut: false, typingAt: 0, typingTimer: null, idleTimer: null
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
