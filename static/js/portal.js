// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // After a failed submit, move focus to the error summary so it is read out first.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
