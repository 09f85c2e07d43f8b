// -- page changes and host commands --------------------------------------------------------
var lastPage = location.href;
function pageChanged() {
  if (location.href === lastPage) return;
  lastPage = location.href;
  if (/^https?:/.test(location.protocol)) command({ type: "page", url: location.href });
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

function mount() {
  document.body.appendChild(host);
  applySettings();
  showConnection();
  status(state.status, null);
  // Messages typed before a reload that the server never confirmed: shown, and sent again
  // with their own ref once connected (the server stores each ref once).
  (saved.outbox || []).forEach(function (item) {
    var frame = { type: "message", text: item.text, ref: item.ref };
    pendingBubble(frame);
    state.pending.push(frame);
  });
  var queued = window._frontdesk;
  window._frontdesk = { push: function () { for (var i = 0; i < arguments.length; i++) run(arguments[i]); } };
  if (queued && queued.length) queued.forEach(run);
  connect();
}
window.__frontdeskWidget = { state: state, conversation: function () { return saved.conversationId; } };
if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
