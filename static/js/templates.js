/* Product templates: each catalog step submits when its choice changes, and the variants table
   gets "tick all / untick all". The page works without this script; it only saves clicks. */
(function () {
  "use strict";

  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => {
      if (select.value) select.form.requestSubmit();
    });
  });

  const boxes = () => Array.from(document.querySelectorAll('.variants-table input[name="variant"]'));
  document.querySelectorAll("[data-tick]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => {
      const on = button.dataset.tick === "all";
      boxes().forEach((box) => {
        box.checked = on;
      });
    });
  });
})();
