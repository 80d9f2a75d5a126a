/* Network view: vis-network with positions computed on the server; click to open or expand. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("net-data").textContent);
  var cfg = JSON.parse(document.getElementById("net-config").textContent);
  var container = document.getElementById("network");
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var options = {
    physics: data.physics ? {enabled: true, stabilization: {iterations: 120, fit: true},
                             barnesHut: {springLength: 140, avoidOverlap: 0.3}} : false,
    layout: {improvedLayout: false},
    interaction: {hover: true, tooltipDelay: 150, hideEdgesOnDrag: data.count > 150},
    nodes: {font: {size: 13, face: "system-ui, 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', sans-serif"}},
    edges: {font: {size: 10, align: "middle", background: "rgba(255,255,255,0.8)"},
            smooth: data.count > 150 ? false : {type: "dynamic"}, selectionWidth: 2}
  };
  var network = new vis.Network(container, {nodes: nodes, edges: edges}, options);
  window.__net = network;
  network.once(data.physics ? "stabilizationIterationsDone" : "afterDrawing", function () {
    if (data.physics) { network.setOptions({physics: false}); }
    network.fit();
    document.body.setAttribute("data-net-ready", "1");
  });
  if (!data.physics) { network.fit(); }

  var selected = null;
  var info = document.getElementById("node-info");
  function show(id) {
    var n = nodes.get(id);
    if (!n) { return; }
    selected = n;
    document.getElementById("node-hint").classList.add("d-none");
    info.classList.remove("d-none");
    document.getElementById("node-name").textContent = n.label.replace("\n", " ");
    document.getElementById("node-kind").textContent = cfg.kinds[n.kind] || n.kind;
    document.getElementById("node-title").textContent = n.title || "";
    var open = document.getElementById("node-open");
    if (n.openable) {
      open.classList.remove("d-none");
      open.href = cfg.subject_url.replace("__ID__", encodeURIComponent(n.key));
    } else {
      open.classList.add("d-none");
    }
  }
  network.on("click", function (p) { if (p.nodes.length) { show(p.nodes[0]); } });
  network.on("doubleClick", function (p) { if (p.nodes.length) { show(p.nodes[0]); expand(); } });

  var notice = document.getElementById("expand-notice");
  function say(text) { notice.textContent = text; notice.classList.remove("d-none"); }

  function expand() {
    if (!selected) { return; }
    var url = cfg.expand_url + "?key=" + encodeURIComponent(selected.key) +
      "&since=" + encodeURIComponent(cfg.since) + "&min_yuan=" + encodeURIComponent(cfg.min_yuan);
    var centre = network.getPositions([selected.id])[selected.id] || {x: 0, y: 0};
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (got) {
        var fresh = got.nodes.filter(function (n) { return !nodes.get(n.id); });
        var step = 2 * Math.PI / Math.max(1, fresh.length);
        var radius = 160 + 8 * fresh.length;
        fresh.forEach(function (n, i) {
          n.x = centre.x + radius * Math.cos(i * step);
          n.y = centre.y + radius * Math.sin(i * step);
          n.size = 14;
        });
        nodes.add(fresh);
        edges.add(got.edges.filter(function (e) { return !edges.get(e.id); }));
        var parts = [];
        if (fresh.length) { parts.push(cfg.msg_added.replace("__N__", fresh.length)); }
        if (got.truncated) { parts.push(cfg.msg_more.replace("__N__", got.more)); }
        say(parts.length ? parts.join(" ") : cfg.msg_none);
        if (fresh.length) { network.fit({animation: false}); }
        document.body.setAttribute("data-expanded", String(fresh.length));
      })
      .catch(function () { say(cfg.msg_error); });
  }
  document.getElementById("node-expand").addEventListener("click", expand);
})();
