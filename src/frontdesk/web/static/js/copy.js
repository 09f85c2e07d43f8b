/* Copy buttons: <button data-copy="ID" hidden> copies the text of element ID with the
 * Clipboard API. The button stays hidden where that API is missing (old browsers, pages
 * not served over https), so the text itself, selectable, is what remains. Its words come
 * from the server: data-copied-label, data-failed-label.
 */
(function () {
  "use strict";

  if (!navigator.clipboard || !window.isSecureContext) return;

  function copy(button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(
      function () {
        var label = button.textContent;
        button.textContent = button.getAttribute("data-copied-label");
        window.Frontdesk.announce(button.textContent);
        window.setTimeout(function () {
          button.textContent = label;
        }, 2000);
      },
      function () {
        window.Frontdesk.announce(button.getAttribute("data-failed-label"), { assertive: true });
      }
    );
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(button);
    });
  });
})();
