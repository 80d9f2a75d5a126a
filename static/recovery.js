/* The flow Sankey and the recovered-money charts (ECharts, vendored). Data come from
   <script type="application/json"> blocks written by the server; nothing is fetched. */
(function () {
  "use strict";
  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function yuan(fen) {
    var neg = fen < 0; fen = Math.abs(Math.round(fen));
    var y = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var f = (fen % 100).toString().padStart(2, "0");
    return (neg ? "-" : "") + "¥" + y + "." + f;
  }
  window.recoveryCharts = {};
  var sk = json("sankey-data"), box = document.getElementById("sankey");
  if (sk && box && sk.links.length && window.echarts) {
    var words = json("sankey-labels") || {};
    var chart = echarts.init(box, null, {renderer: "svg"});
    var tail = function (a) { return a.length > 4 ? "…" + a.slice(-4) : a; };
    chart.setOption({
      animation: false,
      tooltip: {trigger: "item", formatter: function (p) {
        if (p.dataType === "edge") {
          return p.data.source.split("@")[0] + " → " + p.data.target.split("@")[0] + "<br>" + yuan(p.data.value);
        }
        return p.data.label + " " + p.data.account_id + (p.data.own ? " (" + words.own + ")" : "") + "<br>" + yuan(p.value || 0);
      }},
      series: [{
        type: "sankey", left: 8, right: 150, top: 10, bottom: 10, nodeGap: 10, draggable: false,
        layoutIterations: 32, emphasis: {focus: "adjacency"},
        data: sk.nodes.map(function (n) {
          return {name: n.name, label: n.label, account_id: n.account_id, own: n.own, depth: n.depth,
                  itemStyle: {color: n.own ? "#c0392b" : (n.depth === 0 ? "#c0392b" : "#2471a3")}};
        }),
        links: sk.links,
        label: {fontSize: 11, formatter: function (p) { return p.data.label + " " + tail(p.data.account_id); }},
        lineStyle: {color: "gradient", curveness: 0.5, opacity: 0.35}
      }]
    });
    window.recoveryCharts.sankey = chart;
    window.addEventListener("resize", function () { chart.resize(); });
  }
  ["court", "prison"].forEach(function (g) {
    var data = json("recovered-by-" + g), el = document.getElementById("chart-" + g);
    if (!data || !el || !window.echarts || !data.months.length) { return; }
    var c = echarts.init(el, null, {renderer: "svg"});
    c.setOption({
      animation: false,
      tooltip: {trigger: "axis", valueFormatter: function (v) { return yuan(v * 100); }},
      legend: {type: "scroll", top: 0},
      grid: {left: 70, right: 20, top: 40, bottom: 30},
      xAxis: {type: "category", data: data.months},
      yAxis: {type: "value", axisLabel: {formatter: function (v) { return v >= 10000 ? (v / 10000) + "万" : v; }}},
      series: data.series.map(function (s) {
        return {name: s.name, type: "bar", stack: "total", data: s.data.map(function (f) { return f / 100; })};
      })
    });
    window.recoveryCharts[g] = c;
    window.addEventListener("resize", function () { c.resize(); });
  });
})();
