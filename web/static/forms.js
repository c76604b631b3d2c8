// A refused form's error summary: focused when the page loads, and each of its links
// focuses its field (a link to an id only scrolls to it) with the field's label in view.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  if (document.activeElement !== summary) summary.focus();
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    if (!link) return;
    const field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    const details = field.closest("details");
    if (details) details.open = true;
    const label = document.querySelector(`label[for="${field.id}"]`) || field;
    label.scrollIntoView();
    field.focus({ preventScroll: true });
  });
});
