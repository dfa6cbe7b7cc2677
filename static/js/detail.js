/* Image detail: decide with a / r and move on to the next image (already preloaded), walk the
   queue with j / k, zoom the full image, follow the jobs that regenerate or edit it and the
   publications still on their way.
   Relies on review.js (window.PodReview) for CSRF, toasts and the reason picker. */
(function () {
  "use strict";

  const detail = document.getElementById("detail");
  if (!detail) return;
  const { ignoreKey, pickReason, toast } = window.PodReview;
  const data = detail.dataset;

  /* The next image's full file, so approving and moving on shows it at once. */
  if (data.nextOriginal) {
    const preload = new Image();
    preload.decoding = "async";
    preload.src = data.nextOriginal;
  }

  /* -- zoom: fit, then 1x, 2x, 4x of the natural size ------------------------------------ */
  const stage = document.getElementById("stage");
  const image = document.getElementById("full-image");
  const scales = [0, 1, 2, 4];
  let level = 0;
  function zoom(next, focusX, focusY) {
    const fx = focusX === undefined ? 0.5 : focusX;
    const fy = focusY === undefined ? 0.5 : focusY;
    level = Math.max(0, Math.min(scales.length - 1, next));
    stage.classList.toggle("zoom-fit", level === 0);
    stage.classList.toggle("zoomed", level > 0);
    image.style.width = level === 0 ? "" : image.naturalWidth * scales[level] + "px";
    if (level > 0) {
      stage.scrollLeft = fx * image.offsetWidth - stage.clientWidth / 2;
      stage.scrollTop = fy * image.offsetHeight - stage.clientHeight / 2;
    }
  }
  image.addEventListener("click", (event) => {
    const box = image.getBoundingClientRect();
    const fx = (event.clientX - box.left) / box.width;
    const fy = (event.clientY - box.top) / box.height;
    zoom(level === 0 ? 1 : 0, fx, fy);
  });

  /* -- decisions: the server answers with HX-Redirect to the next image ------------------- */
  const approveForm = document.getElementById("approve-form");
  const rejectForm = document.getElementById("reject-form");
  let deciding = false;
  function submitOnce(form) {
    if (deciding || !form) return;
    deciding = true;
    detail.classList.add("is-busy");
    form.requestSubmit();
  }
  document.addEventListener("htmx:afterRequest", (event) => {
    if (!event.detail.successful) {
      deciding = false;
      detail.classList.remove("is-busy");
    }
  });
  async function reject() {
    if (!rejectForm || deciding) return;
    const choice = await pickReason("this image");
    if (!choice) return;
    rejectForm.elements.reason.value = choice.reason;
    rejectForm.elements.note.value = choice.note;
    submitOnce(rejectForm);
  }
  if (rejectForm) {
    rejectForm.addEventListener("submit", (event) => {
      if (!rejectForm.elements.reason.value) {
        event.preventDefault();
        event.stopImmediatePropagation();
        reject();
      }
    }, true);
  }

  /* -- jobs started here: follow them until their images exist ----------------------------- */
  const FINAL = ["completed", "failed", "cancelled"];
  function follow(notice) {
    notice.dataset.following = "true";
    const status = notice.querySelector(".job-status");
    const list = notice.querySelector(".job-images");
    const tick = async () => {
      let job;
      try {
        const response = await fetch(notice.dataset.jobUrl, { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error("status " + response.status);
        job = await response.json();
      } catch (error) {
        status.textContent = "status unavailable (" + error.message + ")";
        return;
      }
      const progress = job.status === "processing" && job.progress ? " " + Math.round(job.progress * 100) + " %" : "";
      status.textContent = job.status + progress;
      status.className = "job-status badge " + (job.status === "completed" ? "quality ok" : job.status === "failed" ? "quality bad" : "plain");
      if (!FINAL.includes(job.status)) {
        window.setTimeout(tick, 1000);
        return;
      }
      if (job.error) status.textContent += ": " + job.error.message;
      job.image_ids.forEach((id) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = "/review/images/" + encodeURIComponent(id) + window.location.search;
        link.textContent = "Open " + id;
        item.appendChild(link);
        list.appendChild(item);
      });
    };
    tick();
  }
  document.addEventListener("htmx:afterSettle", () => {
    document.querySelectorAll("[data-job-id]:not([data-following])").forEach(follow);
  });

  /* -- publishing: confirm destructive actions, follow publications still on their way ----- */
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  const PUBLICATION_FINAL = ["published", "failed", "dry_run", "unpublished"];
  function followPublication(item) {
    const badge = item.querySelector("[data-publication-status]");
    const tick = async () => {
      let publication;
      try {
        const response = await fetch(item.dataset.publicationUrl, { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error("status " + response.status);
        publication = await response.json();
      } catch (error) {
        return; // the page still shows the last known status; a reload asks again
      }
      if (publication.status !== item.dataset.status) {
        item.dataset.status = publication.status;
        badge.textContent = publication.status.replace("_", " ");
        badge.className = "badge publication-badge " + publication.status;
      }
      if (PUBLICATION_FINAL.includes(publication.status)) {
        const reload = item.querySelector("[data-reload]");
        reload.href = window.location.pathname + window.location.search + "#publications";
        reload.hidden = false;
        reload.addEventListener("click", (event) => {
          event.preventDefault();
          window.location.reload();
        });
        return;
      }
      window.setTimeout(tick, 2000);
    };
    window.setTimeout(tick, 1000);
  }
  document.querySelectorAll("[data-publication-url]").forEach(followPublication);

  /* -- keyboard ----------------------------------------------------------------------------- */
  const go = (url) => url && window.location.assign(url);
  const canReview = data.canReview === "true";
  document.addEventListener("keydown", (event) => {
    if (ignoreKey(event)) return;
    switch (event.key) {
      case "a":
        if (!canReview) return toast("Only pending images can be approved, and only by reviewers.");
        submitOnce(approveForm);
        break;
      case "r":
        if (!canReview) return toast("Only pending images can be rejected, and only by reviewers.");
        reject();
        break;
      case "j":
        go(data.nextUrl);
        break;
      case "k":
        go(data.prevUrl);
        break;
      case "u":
        go(data.queueUrl);
        break;
      case "z":
        zoom(level === 0 ? 1 : 0);
        break;
      case "+":
      case "=":
        zoom(level + 1);
        break;
      case "-":
        zoom(level - 1);
        break;
      case "0":
        zoom(0);
        break;
      default:
        return;
    }
    event.preventDefault();
  });
})();
