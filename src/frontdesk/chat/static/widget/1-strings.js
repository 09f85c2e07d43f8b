// -- words: English and Swedish, the page's `lang` or else the browser's --------------------------
// The account's own greeting and offline text per language win over these (welcome.widget).
var STRINGS = {
  en: {
    launcher: "Chat with us", title: "Chat", close: "Close the chat window",
    end: "End chat", log: "Messages", greeting: "Hi! How can we help you today?",
    inputLabel: "Your message", placeholder: "Write a message\u2026", send: "Send", you: "You",
    joined: "{name} joined the chat", tookOver: "{name} took over the chat", anAgent: "An agent",
    ended: "The chat has ended", rateQuestion: "How was this chat?", star: "{n} of 5 stars",
    thanks: "Thanks for your rating", typing: "{name} is typing\u2026", connecting: "Connecting\u2026",
    offline: "Offline. Your messages will be sent when the connection is back.",
    pending: "Sending\u2026", notSent: "Not sent: {reason}",
    waiting: "All our agents are busy. You are number {n} in the queue.",
    waitingSoon: "Waiting for an agent\u2026",
    away: "We are away right now. Leave a message and we will answer by e-mail.",
    name: "Name", email: "E-mail", message: "Message", leave: "Send message",
    left: "Thanks! We got your message and will answer by e-mail.",
    required: "Please fill in your name, e-mail and message.",
    ticket: "Your message was sent to our team. We will answer by e-mail.",
    unread: "{n} unread"
  },
  sv: {
    launcher: "Chatta med oss", title: "Chatt", close: "St\u00e4ng chattf\u00f6nstret",
    end: "Avsluta chatten", log: "Meddelanden", greeting: "Hej! Hur kan vi hj\u00e4lpa dig i dag?",
    inputLabel: "Ditt meddelande", placeholder: "Skriv ett meddelande\u2026", send: "Skicka", you: "Du",
    joined: "{name} anslöt till chatten", tookOver: "{name} tog över chatten", anAgent: "En medarbetare",
    ended: "Chatten har avslutats", rateQuestion: "Hur var chatten?", star: "{n} av 5 stj\u00e4rnor",
    thanks: "Tack f\u00f6r ditt betyg", typing: "{name} skriver\u2026", connecting: "Ansluter\u2026",
    offline: "Fr\u00e5nkopplad. Dina meddelanden skickas n\u00e4r anslutningen \u00e4r tillbaka.",
    pending: "Skickas\u2026", notSent: "Inte skickat: {reason}",
    waiting: "Alla v\u00e5ra medarbetare \u00e4r upptagna. Du \u00e4r nummer {n} i k\u00f6n.",
    waitingSoon: "V\u00e4ntar p\u00e5 en medarbetare\u2026",
    away: "Vi \u00e4r inte h\u00e4r just nu. L\u00e4mna ett meddelande s\u00e5 svarar vi via e-post.",
    name: "Namn", email: "E-post", message: "Meddelande", leave: "Skicka meddelandet",
    left: "Tack! Vi har f\u00e5tt ditt meddelande och svarar via e-post.",
    required: "Fyll i namn, e-post och meddelande.",
    ticket: "Ditt meddelande har skickats till oss. Vi svarar via e-post.",
    unread: "{n} ol\u00e4sta"
  }
};
var language = (function () {
  var wanted = [document.documentElement.lang].concat(navigator.languages || [navigator.language]);
  for (var i = 0; i < wanted.length; i++) {
    var code = String(wanted[i] || "").toLowerCase().split("-")[0];
    if (STRINGS.hasOwnProperty(code)) return code;
  }
  return "en";
})();
function t(key, values) {
  var text = STRINGS[language][key];
  for (var name in values || {}) text = text.split("{" + name + "}").join(String(values[name]));
  return text;
}
// The account's own text for this language, else the widget's.
function own(key, fallback) {
  var texts = (saved.widget && saved.widget.texts) || {};
  var mine = texts[language] && texts[language][key];
  return mine || t(fallback);
}
