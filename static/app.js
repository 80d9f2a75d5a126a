/* Sortable tables: click a header; cells may carry data-sort for numeric / raw values. */
(function () {
  "use strict";
  function key(cell) {
    if (!cell) { return ""; }
    var v = cell.getAttribute("data-sort");
    if (v === null) { v = cell.textContent.trim(); }
    var n = Number(String(v).replace(/[¥,\s]/g, ""));
    return (v !== "" && !isNaN(n)) ? n : String(v);
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      th.classList.add("sort-head");
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var asc = th.getAttribute("data-dir") !== "asc";
        heads.forEach(function (h) { h.removeAttribute("data-dir"); });
        th.setAttribute("data-dir", asc ? "asc" : "desc");
        rows.sort(function (a, b) {
          var x = key(a.cells[col]), y = key(b.cells[col]);
          if (typeof x === "number" && typeof y === "number") { return asc ? x - y : y - x; }
          return asc ? String(x).localeCompare(String(y), "zh") : String(y).localeCompare(String(x), "zh");
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
