/* The overview's cards follow the network: re-read overview.json on a live nudge (at most once a
 * second) and on resync, and write each figure into its card's .value span. */
(function () {
  "use strict";
  const NUDGES = new Set(["status_changed", "connection_changed", "transaction_started", "transaction_stopped"]);
  const cards = document.getElementById("overview-cards");
  if (!cards) return;

  function text(value, unit) {
    if (value === null || value === undefined) return "–";
    if (typeof value === "object") {
      const parts = Object.entries(value).map(function (entry) {
        return Voltstack.formatNumber(entry[1], 2) + " " + entry[0];
      });
      return parts.length ? parts.join(" · ") : "0.00";
    }
    const digits = Number.isInteger(value) && unit === "" ? 0 : 1;
    return (Voltstack.formatNumber(value, digits) + " " + unit).trim();
  }

  function show(data) {
    for (const card of cards.querySelectorAll(".card[data-card]")) {
      const name = card.dataset.card;
      if (!(name in data)) continue;
      card.querySelector(".value").textContent = text(data[name], card.dataset.unit);
    }
    for (const site of data.sites || []) {
      const row = document.querySelector('#power-limits tr[data-site="' + site.location_id + '"]');
      if (!row) continue;
      row.querySelector(".site-power").textContent = site.kw_now;
      row.querySelector(".bar").classList.toggle("bar--over", site.percent > 100);
      row.querySelector(".bar span").style.width = Math.min(site.percent, 100) + "%";
    }
  }

  const refresh = Voltstack.throttle(async function () {
    try { show(await Voltstack.getJSON(cards.dataset.url)); } catch (err) { /* the next nudge or resync retries */ }
  }, 1000);

  Voltstack.on(function (message) {
    if (message.type === "resync" || NUDGES.has(message.type)) refresh();
  });
})();
