/* The sessions list: the in-progress table is read again (throttled) when a session starts or stops,
 * and on every resync. On the newest page of the history, a session that stopped comes in at the top:
 * the page is read again and its history swapped in; older pages are paged by links and left alone. */
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

  Voltstack.on(["transaction_started", "transaction_stopped", "resync"], refresh);

  const history = document.getElementById("history");
  const newest = !/[?&](before|after)=/.test(location.search);
  const refreshHistory = Voltstack.throttle(async function () {
    try {
      const response = await fetch(location.href, { credentials: "same-origin" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("history");
      if (fresh) history.innerHTML = fresh.innerHTML;
    } catch (err) { /* the next stop or resync tries again */ }
  }, 2000);
  if (history && newest) Voltstack.on(["transaction_stopped", "resync"], refreshHistory);

})();
