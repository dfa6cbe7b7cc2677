// The "Copy" button of the page that shows a new API key once.
(function () {
  "use strict";

  function copied(status, message) {
    if (status) {
      status.textContent = message;
    }
  }

  function copy(button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!field) {
      return;
    }
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { copied(status, "Copied to the clipboard."); button.textContent = "Copied"; },
        function () { copied(status, "Copy failed: the key is selected, press Ctrl+C."); }
      );
      return;
    }
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (error) {
      ok = false;
    }
    copied(status, ok ? "Copied to the clipboard." : "The key is selected: press Ctrl+C to copy it.");
    if (ok) {
      button.textContent = "Copied";
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (button) {
      copy(button);
    }
  });
}());
