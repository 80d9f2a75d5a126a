// Import page: poll the background load and move the progress bar; reload when it ends.
(function () {
  const box = document.getElementById("job");
  if (!box || box.dataset.status !== "running") return;
  const bar = document.getElementById("progress");
  const label = document.getElementById("job-status");
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin"}).then(r => r.json()).then(j => {
      const pct = Math.round(100 * j.done_rows / Math.max(j.total_rows, 1));
      bar.style.width = pct + "%";
      bar.textContent = pct + "%";
      label.textContent = j.status + " · " + j.load_id + (j.stage ? " · " + j.stage : "") + (j.error ? " · " + j.error : "");
      if (j.status === "running") setTimeout(poll, 500);
      else window.location.reload();
    }).catch(() => setTimeout(poll, 2000));
  }
  poll();
})();
