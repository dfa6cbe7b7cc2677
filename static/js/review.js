/* Review UI: what every review page shares (CSRF for htmx, toasts, the reason picker, the
   shortcuts dialog) and the queue itself (keyboard, selection, batch actions, live arrivals).
   No inline script or style anywhere: the Content-Security-Policy allows neither. */
(function () {
  "use strict";

  const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;

  function toast(message, kind) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const item = document.createElement("p");
    item.className = "toast " + (kind || "info");
    item.textContent = message;
    box.appendChild(item);
    window.setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
  }

  /* A fresh Idempotency-Key for one batch action (API v2 requires one on batch calls). */
  function idempotencyKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  /* The human message of a failed request: the API's JSON error, or the error page's text. */
  function errorMessage(xhr) {
    const text = xhr.responseText || "";
    try {
      const body = JSON.parse(text);
      if (body && (body.detail || body.error)) return body.detail || body.error;
    } catch (ignored) {
      const page = new DOMParser().parseFromString(text, "text/html");
      const message = page.querySelector(".error-page p:not(.error-code)");
      if (message && message.textContent.trim()) return message.textContent.trim();
    }
    return "Request failed (" + xhr.status + " " + xhr.statusText + ")";
  }

  document.addEventListener("htmx:configRequest", (event) => {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });
  document.addEventListener("htmx:beforeSwap", (event) => {
    const xhr = event.detail.xhr;
    if (xhr.responseURL && new URL(xhr.responseURL).pathname === "/login") {
      event.detail.shouldSwap = false;
      window.location.assign(xhr.responseURL);
      return;
    }
    if (xhr.getResponseHeader("X-Partial") === "true") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:responseError", (event) => toast(errorMessage(event.detail.xhr), "error"));
  document.addEventListener("htmx:sendError", () => toast("The gateway did not answer. Check the connection.", "error"));

  /* Keys are shortcuts only when nobody is typing, no dialog is open and no modifier is held. */
  function ignoreKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return true;
    if (document.querySelector("dialog[open]")) return true;
    const target = event.target;
    if (target.isContentEditable) return true;
    if (target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
    return target.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(target.type);
  }

  function closeOnCancelButtons(dialog) {
    dialog.querySelectorAll("[data-dialog-cancel]").forEach((button) => {
      button.addEventListener("click", () => dialog.close());
    });
  }

  const help = document.getElementById("shortcuts-dialog");
  if (help) closeOnCancelButtons(help);
  function toggleHelp() {
    if (!help) return;
    if (help.open) help.close();
    else if (!document.querySelector("dialog[open]")) help.showModal();
  }
  document.querySelectorAll("[data-help]").forEach((button) => button.addEventListener("click", toggleHelp));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "?" || event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName) && !(help && help.open);
    if (typing) return;
    event.preventDefault();
    toggleHelp();
  });

  /* Ask for a reject reason: number keys pick, Enter confirms, Esc cancels. Resolves to
     {reason, note} or null. */
  function pickReason(subject) {
    const dialog = document.getElementById("reason-dialog");
    const form = dialog.querySelector("form");
    const radios = Array.from(form.querySelectorAll('input[name="reason"]'));
    const missing = form.querySelector("[data-reason-missing]");
    form.reset();
    missing.hidden = true;
    dialog.querySelector("[data-reason-target]").textContent = subject;
    return new Promise((resolve) => {
      let finished = false;
      const finish = (value) => {
        if (finished) return;
        finished = true;
        form.removeEventListener("submit", onSubmit);
        dialog.removeEventListener("keydown", onKey);
        dialog.removeEventListener("close", onClose);
        if (dialog.open) dialog.close();
        resolve(value);
      };
      const onSubmit = (event) => {
        event.preventDefault();
        const chosen = radios.find((radio) => radio.checked);
        if (!chosen) {
          missing.hidden = false;
          return;
        }
        finish({ reason: chosen.value, note: form.elements.note.value.trim() });
      };
      const onKey = (event) => {
        const inNote = event.target.tagName === "TEXTAREA";
        if (!inNote && /^[1-9]$/.test(event.key)) {
          const radio = radios[Number(event.key) - 1];
          if (radio) {
            radio.checked = true;
            radio.focus();
            missing.hidden = true;
          }
          event.preventDefault();
        } else if (event.key === "Enter" && (!inNote || event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          form.requestSubmit();
        }
      };
      const onClose = () => finish(null);
      form.addEventListener("submit", onSubmit);
      dialog.addEventListener("keydown", onKey);
      dialog.addEventListener("close", onClose);
      dialog.showModal();
      (radios[0] || form.elements.note).focus();
    });
  }
  const reasonDialog = document.getElementById("reason-dialog");
  if (reasonDialog) closeOnCancelButtons(reasonDialog);

  function confirmDialog(title) {
    const dialog = document.getElementById("confirm-dialog");
    dialog.querySelector("[data-confirm-title]").textContent = title;
    return new Promise((resolve) => {
      const form = dialog.querySelector("form");
      const onSubmit = () => {
        form.removeEventListener("submit", onSubmit);
        resolve(true);
      };
      form.addEventListener("submit", onSubmit);
      dialog.addEventListener("close", () => {
        form.removeEventListener("submit", onSubmit);
        resolve(false);
      }, { once: true });
      dialog.showModal();
      dialog.querySelector("[data-dialog-cancel]").focus();
    });
  }
  const confirmBox = document.getElementById("confirm-dialog");
  if (confirmBox) closeOnCancelButtons(confirmBox);

  window.PodReview = { csrfToken, toast, errorMessage, ignoreKey, pickReason };

  const queue = document.getElementById("queue");
  if (queue) initQueue(queue);

  function initQueue(queue) {
    const grid = document.getElementById("grid");
    const canReview = queue.dataset.canReview === "true";
    const selected = new Set();
    let anchorId = null;
    let focusedId = null;

    const cards = () => Array.from(grid.querySelectorAll(".card"));
    const cardOf = (id) => document.getElementById("card-" + id);
    const focused = () => (focusedId && cardOf(focusedId)) || null;

    function focusCard(card, scroll) {
      if (!card) return;
      const previous = focused();
      if (previous) previous.classList.remove("is-focused");
      focusedId = card.dataset.imageId;
      card.classList.add("is-focused");
      card.focus({ preventScroll: true });
      if (scroll !== false) card.scrollIntoView({ block: "nearest" });
    }

    function move(step) {
      const list = cards();
      if (!list.length) return;
      const index = list.indexOf(focused());
      const next = index < 0 ? 0 : Math.min(list.length - 1, Math.max(0, index + step));
      focusCard(list[next]);
    }

    /* -- selection ------------------------------------------------------------------------ */
    const bar = document.getElementById("batchbar");
    function refreshBar() {
      if (!bar) return;
      bar.querySelector("[data-selection-count]").textContent = selected.size + " selected";
      bar.classList.toggle("has-selection", selected.size > 0);
      bar.querySelectorAll('[data-batch]:not([data-batch="select-page"]), [data-publish-selected]').forEach((button) => {
        button.disabled = selected.size === 0;
      });
    }
    function setSelected(id, on) {
      if (on) selected.add(id);
      else selected.delete(id);
      const card = cardOf(id);
      if (!card) return;
      card.classList.toggle("is-selected", on);
      const box = card.querySelector("[data-select]");
      if (box) box.checked = on;
    }
    function select(id, on, range) {
      if (range && anchorId && anchorId !== id) {
        const ids = cards().map((card) => card.dataset.imageId);
        const from = ids.indexOf(anchorId);
        const to = ids.indexOf(id);
        if (from >= 0 && to >= 0) {
          ids.slice(Math.min(from, to), Math.max(from, to) + 1).forEach((each) => setSelected(each, on));
        }
      } else {
        setSelected(id, on);
      }
      anchorId = id;
      refreshBar();
    }
    function clearSelection() {
      Array.from(selected).forEach((id) => setSelected(id, false));
      anchorId = null;
      refreshBar();
    }
    function selectPage() {
      const ids = cards().map((card) => card.dataset.imageId);
      const all = ids.length > 0 && ids.every((id) => selected.has(id));
      ids.forEach((id) => setSelected(id, !all));
      refreshBar();
    }

    grid.addEventListener("mousedown", (event) => {
      if (event.shiftKey && event.target.closest(".card")) event.preventDefault(); // no text selection
    });
    grid.addEventListener("click", (event) => {
      const card = event.target.closest(".card");
      if (!card) return;
      const id = card.dataset.imageId;
      const box = event.target.closest("[data-select]");
      if (box) {
        select(id, box.checked, event.shiftKey);
        focusCard(card, false);
        return;
      }
      if (event.target.closest("a, button, label, input")) {
        focusCard(card, false);
        return;
      }
      if (canReview) select(id, !selected.has(id), event.shiftKey);
      focusCard(card, false);
    });

    /* -- single decisions (htmx) ---------------------------------------------------------- */
    function approveCard(card) {
      const button = card && card.querySelector('[data-action="approve"]');
      if (button) button.click();
      return Boolean(button);
    }
    async function rejectCard(card) {
      const button = card && card.querySelector('[data-action="reject"]');
      if (!button) return false;
      const label = card.querySelector(".label");
      const choice = await pickReason(label ? "“" + label.textContent.trim() + "”" : "this image");
      if (!choice) return false;
      htmx.ajax("POST", button.dataset.url, { source: button, target: card, swap: "outerHTML", values: choice });
      return true;
    }
    grid.addEventListener("click", (event) => {
      const button = event.target.closest('[data-action="reject"]');
      if (button) rejectCard(button.closest(".card"));
    });

    /* -- batch decisions through the API, with the per-item outcome ----------------------- */
    const outcome = document.getElementById("batch-outcome");
    function showOutcome(action, result) {
      if (!outcome) return;
      const list = outcome.querySelector("[data-outcome-list]");
      const row = document.getElementById("outcome-row");
      outcome.querySelector("[data-outcome-title]").textContent =
        "Batch " + action + ": " + result.counts.total + " image" + (result.counts.total === 1 ? "" : "s");
      ["successful", "failed", "skipped"].forEach((kind) => {
        outcome.querySelector('[data-outcome-count="' + kind + '"]').textContent = result.counts[kind];
      });
      list.replaceChildren();
      const add = (kind, id, message) => {
        const item = row.content.firstElementChild.cloneNode(true);
        const badge = item.querySelector(".outcome-kind");
        badge.textContent = kind;
        badge.classList.add(kind);
        const link = item.querySelector(".outcome-id");
        link.textContent = id;
        link.href = "/review/images/" + encodeURIComponent(id) + window.location.search;
        item.querySelector(".outcome-message").textContent = message;
        list.appendChild(item);
      };
      result.failed.forEach((item) => add("failed", item.image_id, item.error.code + ": " + item.error.message));
      const already = { approve: "already approved", reject: "already rejected" }[action] || "nothing to do";
      result.skipped.forEach((id) => add("skipped", id, already));
      list.hidden = list.childElementCount === 0;
      outcome.classList.toggle("has-failures", result.counts.failed > 0);
      outcome.hidden = false;
    }
    if (outcome) {
      outcome.querySelector("[data-outcome-close]").addEventListener("click", () => {
        outcome.hidden = true;
      });
    }

    function cardsUrl(ids, mode) {
      const url = new URL(queue.dataset.cardsUrl, window.location.origin);
      url.searchParams.set("ids", ids.join(","));
      if (mode) url.searchParams.set("mode", mode);
      return url.pathname + url.search;
    }
    function refreshCards(ids) {
      const present = ids.filter((id) => cardOf(id));
      htmx.ajax("GET", cardsUrl(present, "replace"), { target: grid, swap: "none" });
    }

    async function batch(action) {
      const ids = Array.from(selected);
      if (!ids.length) return;
      const body = { image_ids: ids };
      const subject = ids.length + " selected image" + (ids.length === 1 ? "" : "s");
      if (action === "reject") {
        const choice = await pickReason(subject);
        if (!choice) return;
        body.reason = choice.reason;
        if (choice.note) body.note = choice.note;
      }
      if (action === "delete" && !(await confirmDialog("Delete " + subject + "?"))) return;
      if (bar) bar.classList.add("is-busy");
      let response;
      let result = null;
      try {
        response = await fetch("/api/v2/batch/" + action, {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            Accept: "application/json",
            "X-CSRFToken": csrfToken(),
            "Idempotency-Key": idempotencyKey(),
          },
          body: JSON.stringify(body),
        });
        result = await response.json();
      } catch (error) {
        toast("Batch " + action + " did not complete: " + error.message, "error");
        return;
      } finally {
        if (bar) bar.classList.remove("is-busy");
      }
      if (!response.ok) {
        toast((result && result.detail) || "Batch " + action + " failed (" + response.status + ")", "error");
        return;
      }
      showOutcome(action, result);
      clearSelection();
      if (action === "delete") {
        result.successful.forEach((id) => {
          const card = cardOf(id);
          if (card) card.remove();
        });
      }
      const changed = action === "delete" ? [] : result.successful;
      refreshCards(changed.concat(result.failed.map((item) => item.image_id), result.skipped));
    }
    /* Batch publish is a plain form post (the server flashes each image's outcome): the
       selection goes along as repeated image_ids values. */
    const publishForm = document.getElementById("batch-publish-form");
    if (publishForm) {
      publishForm.addEventListener("submit", (event) => {
        if (!selected.size) {
          event.preventDefault();
          toast("Select the approved images to publish first.");
          return;
        }
        publishForm.querySelectorAll('input[name="image_ids"]').forEach((input) => input.remove());
        selected.forEach((id) => {
          const input = document.createElement("input");
          input.type = "hidden";
          input.name = "image_ids";
          input.value = id;
          publishForm.appendChild(input);
        });
        if (bar) bar.classList.add("is-busy");
      });
    }

    if (bar) {
      bar.addEventListener("click", (event) => {
        const button = event.target.closest("[data-batch]");
        if (!button) return;
        const action = button.dataset.batch;
        if (action === "select-page") selectPage();
        else if (action === "clear") clearSelection();
        else batch(action);
      });
    }

    /* Swapped-in cards are new elements: give them back their focus and selection marks. */
    document.addEventListener("htmx:afterSettle", () => {
      selected.forEach((id) => setSelected(id, true));
      const card = focused();
      if (card && !card.classList.contains("is-focused")) {
        card.classList.add("is-focused");
        if (document.activeElement === document.body) card.focus({ preventScroll: true });
      }
      const empty = document.getElementById("empty");
      if (empty && cards().length) empty.remove();
    });

    /* -- keyboard ------------------------------------------------------------------------- */
    document.addEventListener("keydown", (event) => {
      if (ignoreKey(event)) return;
      const card = focused();
      switch (event.key) {
        case "j":
          move(1);
          break;
        case "k":
          move(-1);
          break;
        case "x":
          if (canReview && card) select(card.dataset.imageId, !selected.has(card.dataset.imageId), false);
          break;
        case "*":
          if (canReview) selectPage();
          break;
        case "Escape":
          clearSelection();
          break;
        case "a":
          if (!canReview) return;
          if (selected.size) batch("approve");
          else if (approveCard(card)) move(1);
          else if (card) toast("This image is " + card.dataset.status + "; only pending images can be approved.");
          break;
        case "r":
          if (!canReview) return;
          if (selected.size) batch("reject");
          else rejectCard(card).then((done) => done && move(1));
          break;
        case "Enter":
        case "o":
          if (event.target.closest("a, button")) return; // let a focused control do its own thing
          if (card) window.location.assign(card.querySelector("a.thumb").href);
          break;
        case "]":
        case "[": {
          const link = document.querySelector('[data-page="' + (event.key === "]" ? "next" : "prev") + '"]');
          if (link) window.location.assign(link.href);
          break;
        }
        case "/":
          document.getElementById("filter-q").focus();
          break;
        default:
          return;
      }
      event.preventDefault();
    });

    /* -- live arrivals (server-sent events) -------------------------------------------------
       A stream holds a server thread, so only a visible tab keeps one open; reopening resumes
       from the last event seen (the server also looks back a little), and ids already shown
       are never announced twice. */
    const arrivals = document.getElementById("arrivals");
    const announced = new Set();
    function updateCounts(counts) {
      let total = 0;
      Object.values(counts).forEach((count) => {
        total += count;
      });
      document.querySelectorAll("[data-count]").forEach((element) => {
        const key = element.dataset.count;
        element.textContent = key === "all" ? total : counts[key] || 0;
      });
    }
    function onArrival(event) {
      const data = JSON.parse(event.data);
      updateCounts(data.counts);
      const fresh = data.ids.filter((id) => !cardOf(id) && !announced.has(id));
      if (!fresh.length) return;
      fresh.forEach((id) => announced.add(id));
      const newest = queue.dataset.sort === "newest";
      const visible = newest ? queue.dataset.firstPage === "true" : queue.dataset.lastPage === "true";
      if (visible) {
        const ids = newest ? fresh.slice().reverse() : fresh;
        htmx.ajax("GET", cardsUrl(ids), { target: grid, swap: newest ? "afterbegin" : "beforeend" });
      } else if (arrivals) {
        arrivals.querySelector("[data-arrivals-text]").textContent =
          announced.size + " new image" + (announced.size === 1 ? "" : "s") + " arrived.";
        arrivals.hidden = false;
      }
    }
    let stream = null;
    let since = null;
    function connect() {
      if (stream || !window.EventSource || !queue.dataset.eventsUrl) return;
      const url = new URL(queue.dataset.eventsUrl, window.location.origin);
      if (since) url.searchParams.set("since", since);
      stream = new EventSource(url.pathname + url.search);
      stream.addEventListener("images", (event) => {
        if (event.lastEventId) since = event.lastEventId;
        onArrival(event);
      });
    }
    function disconnect() {
      if (stream) stream.close();
      stream = null;
    }
    document.addEventListener("visibilitychange", () => (document.hidden ? disconnect() : connect()));
    window.addEventListener("pagehide", disconnect);
    if (!document.hidden) connect();

    const first = cards()[0];
    if (first) focusCard(first, false);
    refreshBar();
  }
})();
