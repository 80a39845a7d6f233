/* The alerts inbox, live: when an alert opens, changes or resolves (and on every resync), the rows are
 * fetched again with the page's own filters and replace the table's body. */
(function () {
  "use strict";
  const body = document.getElementById("alert-rows");
  if (!body || !window.Voltstack) return;

  const refresh = Voltstack.throttle(async function () {
    try {
      const response = await fetch(body.dataset.rowsUrl + location.search, { credentials: "same-origin" });
      if (response.ok) body.innerHTML = await response.text();
    } catch (err) { /* the next nudge or resync tries again */ }
  }, 300);

  Voltstack.on(function (message) {
    if (message.type === "alert_changed" || message.type === "resync") refresh();
  });
})();
