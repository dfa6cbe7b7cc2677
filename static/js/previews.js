/* Mockup previews on the image detail page: a colour swatch shows the product in that colour in
   place. Without JavaScript each swatch is a link to its picture and the default colour shows. */
(function () {
  "use strict";

  const panel = document.getElementById("previews");
  if (!panel) return;

  /* The swatch's colour, set through the CSSOM: the page's CSP allows no inline style. */
  for (const swatch of panel.querySelectorAll(".swatch[data-swatch]")) {
    swatch.style.setProperty("--swatch", swatch.dataset.swatch);
    swatch.classList.add("coloured");
  }

  panel.addEventListener("click", (event) => {
    const swatch = event.target.closest(".swatch[data-preview-src]");
    if (!swatch) return;
    event.preventDefault();
    const figure = swatch.closest(".preview");
    const image = figure.querySelector(".preview-image");
    image.src = swatch.dataset.previewSrc;
    image.alt = image.alt.replace(/\([^()]*\)$/, "(" + swatch.title + ")");
    figure.querySelector(".preview-link").href = swatch.dataset.previewSrc;
    for (const other of figure.querySelectorAll(".swatch")) {
      other.setAttribute("aria-pressed", String(other === swatch));
    }
  });
})();
