/* The sessions list: the in-progress table is read again (throttled) when a session starts or stops,
 * and on every resync; the history is paged by links and not touched. */
(function () {
  "use strict";
  const box = document.getElementById("in-progress");
  if (!box) return;

  const refresh = Voltstack.throttle(async function () {
    try {
      const response = await fetch(box.dataset.src, { credentials: "same-origin" });
      if (response.ok) box.innerHTML = await response.text();
    } catch (err) { /* the next nudge or resync tries again */ }
  }, 2000);

  listen(["transaction_started", "transaction_stopped", "resync"], refresh);

  // live.js's Voltstack.on takes either (type, fn) or (fn) hearing every message.
  function listen(types, fn) {
    if (Voltstack.on.length >= 2) { types.forEach(function (type) { Voltstack.on(type, fn); }); return; }
    Voltstack.on(function (message) { if (types.indexOf(message.type) >= 0) fn(message); });
  }
})();
