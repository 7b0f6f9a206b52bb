// Security check page: poll the status endpoint while a scan is queued or running; reload
// the page when that scan ends (or another one takes its place) so the findings show.
(function () {
  var panel = document.getElementById("scan-state");
  if (!panel) return;
  var url = panel.getAttribute("data-status-url");
  var shown = panel.getAttribute("data-active-id");
  var bar = panel.querySelector(".scan-progress");
  var current = panel.querySelector(".scan-current");
  var status = panel.querySelector(".scan-status");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        if (!data.active || String(data.active.id) !== shown) { window.location.reload(); return; }
        if (bar) bar.value = data.active.progress;
        if (current) current.textContent = data.active.current_target || "";
        if (status) status.textContent = data.active.status_label.toLowerCase();
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
