/* Canned responses in a reply box (docs/chat.md, "Canned responses").
 *
 * A textarea with `data-canned-url` offers the account's canned responses when the word
 * before the caret starts with "/": the server answers the list (placeholders already
 * filled for this chat or ticket); Up and Down move, Enter or Tab puts the chosen text in
 * place of "/word", Escape closes. A click chooses too.
 */
(function () {
  "use strict";

  var WORD = /(^|\s)\/([\w-]{0,30})$/;

  function attach(box) {
    var url = box.getAttribute("data-canned-url");
    var list = document.createElement("div");
    list.className = "canned";
    list.id = box.id + "-canned";
    box.insertAdjacentElement("afterend", list);
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", list.id);
    box.removeAttribute("data-canned-open");
    var asked = 0;
    var typed = null;

    function options() { return Array.prototype.slice.call(list.querySelectorAll("[role=option]")); }

    function close() {
      list.innerHTML = "";
      typed = null;
      box.removeAttribute("data-canned-open");
      box.removeAttribute("aria-activedescendant");
    }

    function select(index) {
      var all = options();
      all.forEach(function (option, at) { option.setAttribute("aria-selected", at === index ? "true" : "false"); });
      if (all[index]) box.setAttribute("aria-activedescendant", all[index].id);
    }

    function current() {
      var all = options();
      for (var i = 0; i < all.length; i++) if (all[i].getAttribute("aria-selected") === "true") return i;
      return -1;
    }

    function choose(option) {
      if (!option || typed === null) return;
      var before = box.value.slice(0, box.selectionStart);
      var after = box.value.slice(box.selectionStart);
      var start = before.length - typed.length - 1;
      var text = option.getAttribute("data-text");
      box.value = before.slice(0, start) + text + after;
      box.selectionStart = box.selectionEnd = start + text.length;
      close();
      box.dispatchEvent(new Event("input", { bubbles: true }));
      box.focus();
    }

    box.addEventListener("input", function () {
      var found = WORD.exec(box.value.slice(0, box.selectionStart));
      if (!found) { close(); return; }
      typed = found[2];
      var ticket = ++asked;
      fetch(url + "?q=" + encodeURIComponent(typed), { credentials: "same-origin" })
        .then(function (answer) { return answer.ok ? answer.text() : ""; })
        .then(function (html) {
          if (ticket !== asked || typed === null) return;  // a later keystroke asked again
          list.innerHTML = html;
          // A textarea may not carry aria-expanded (axe): the list is tied to it by
          // aria-controls and aria-activedescendant; chats.js reads data-canned-open.
          if (options().length) box.setAttribute("data-canned-open", "");
          else box.removeAttribute("data-canned-open");
          if (options().length) select(0);
        });
    });

    box.addEventListener("keydown", function (event) {
      var all = options();
      if (!all.length) return;
      var at = current();
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : all.length - 1;
        select((at + step) % all.length);
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        event.stopImmediatePropagation();  // Enter picks; it does not send the reply
        choose(all[Math.max(at, 0)]);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });

    list.addEventListener("mousedown", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) { event.preventDefault(); choose(option); }
    });
    box.addEventListener("blur", function () { window.setTimeout(close, 150); });
  }

  document.querySelectorAll("textarea[data-canned-url]").forEach(attach);
})();
