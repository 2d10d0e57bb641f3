// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // After a failed submit, move focus to the error summary so it is read out first.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  setUpSessionWarning();
  keepFocusAcrossSwaps();
});

// htmx disables the button while a request runs, which drops the focus to <body>. Put it
// back on the control with the same id after the swap, so keyboard users stay in place; a
// form that came back with an error at a field (a hand tick without a reason) focuses that
// field, whose description reads the message.
function keepFocusAcrossSwaps() {
  let focusedId = null;
  document.addEventListener(
    "submit",
    () => {
      focusedId = document.activeElement && document.activeElement.id ? document.activeElement.id : null;
    },
    true,
  );
  document.body.addEventListener("htmx:afterSettle", () => {
    if (!focusedId) return;
    const element = document.getElementById(focusedId);
    focusedId = null;
    const invalid = element && element.form ? element.form.querySelector("[aria-invalid='true']") : null;
    const target = invalid || element;
    // Only where the swap dropped the focus: a person who moved on keeps their place.
    const lost = !document.activeElement || document.activeElement === document.body;
    if (target && (invalid || lost) && document.activeElement !== target) target.focus();
  });
}

// Warn before the session expires and let the user extend it (WCAG 2.2.1 Timing Adjustable).
function setUpSessionWarning() {
  const body = document.body;
  const dialog = document.getElementById("session-dialog");
  if (!dialog || !body.dataset.sessionSeconds) return;
  const extendButton = document.getElementById("session-extend");
  const loginLink = document.getElementById("session-login");
  const text = document.getElementById("session-dialog-text");
  const warning = Number(body.dataset.sessionWarning) * 1000;
  let warnTimer;
  let expireTimer;

  const schedule = (seconds) => {
    clearTimeout(warnTimer);
    clearTimeout(expireTimer);
    const total = seconds * 1000;
    warnTimer = setTimeout(() => {
      if (!dialog.open) dialog.showModal();
      extendButton.focus();
    }, Math.max(total - warning, 0));
    expireTimer = setTimeout(() => {
      text.textContent = text.dataset.expiredText;
      extendButton.hidden = true;
      loginLink.hidden = false;
      if (!dialog.open) dialog.showModal();
      loginLink.focus();
    }, total);
  };

  extendButton.addEventListener("click", async () => {
    const headers = JSON.parse(body.getAttribute("hx-headers") || "{}");
    extendButton.disabled = true;
    try {
      const response = await fetch(body.dataset.sessionExtend, {
        method: "POST",
        headers,
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      dialog.close();
      schedule(data.expires_in);
    } catch (error) {
      text.textContent = text.dataset.expiredText;
      extendButton.hidden = true;
      loginLink.hidden = false;
      loginLink.focus();
    } finally {
      extendButton.disabled = false;
    }
  });

  // Requests made with htmx extend the session too; the server says how long it now lasts
  // (it is written at most once a minute, so this may be a little less than the maximum).
  document.body.addEventListener("htmx:afterRequest", (event) => {
    const xhr = event.detail && event.detail.xhr;
    const left = xhr ? xhr.getResponseHeader("X-Session-Expires-In") : null;
    if (left !== null && left !== "") schedule(Number(left));
  });
  schedule(Number(body.dataset.sessionSeconds));
}

// Ask in a native dialog before a destructive link's action; without JavaScript the link
// opens a confirmation page instead. The dialog's own form posts the action.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-confirm-dialog]");
  if (!link) return;
  const dialog = document.getElementById(link.dataset.confirmDialog);
  if (!dialog || typeof dialog.showModal !== "function") return;
  event.preventDefault();
  dialog.showModal();
  const keep = dialog.querySelector("form[method='dialog'] button");
  if (keep) keep.focus();
  dialog.addEventListener("close", () => link.focus(), { once: true });
});

// "Use this name" after a Leistungsschlüssel lookup: copy the name into the named field.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-fill-target]");
  if (!button) return;
  const field = document.getElementById(button.dataset.fillTarget);
  if (!field) return;
  field.value = button.dataset.fillValue;
  field.focus();
});

// A PDF that was still being rendered: when the polled status says it is ready, start its
// download once (the server sends it as an attachment, so this page stays). The link in the
// status stays for a second try; without JavaScript "Check again" leads to the PDF too.
document.addEventListener("htmx:afterSettle", () => {
  const status = document.getElementById("pdf-status");
  if (!status || !status.dataset.startDownload || status.dataset.downloadStarted) return;
  status.dataset.downloadStarted = "true";
  window.location.assign(status.dataset.startDownload);
});
