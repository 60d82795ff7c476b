/**
 * The site's chart script (runs in the browser, plain ES2017 with uPlot's bundled build): draws
 * each chart from window.CUTOVER_REPORT (written beside it as a script, so it works from file://
 * where fetch is refused), with the threshold bands and the markers (cutover, alerts, rollback,
 * faults). Each chart container gets data-drawn, data-series and data-points once drawn, or an
 * error line (and a console error) when it cannot be: nothing fails silently.
 */
export const CHARTS_JS = String.raw`(function () {
  "use strict";
  // After the first paint: the hourly table shows before the charts are computed.
  requestAnimationFrame(function () { setTimeout(drawAll, 0); });
  function drawAll() {
  var R = window.CUTOVER_REPORT;
  var S = R.series;
  var COLOURS = R.markerColours;
  function hhmm(sec) {
    var sign = sec < 0 ? "-" : "+";
    var m = Math.round(Math.abs(sec) / 60);
    var h = Math.floor(m / 60);
    return sign + (h < 10 ? "0" : "") + h + ":" + (m % 60 < 10 ? "0" : "") + (m % 60);
  }
  function sec(ms) { return Math.round((ms - S.t0) / 1000); }

  // Draws the warn and fail bands and the markers under the series.
  function bandsAndMarkers(band, opts) {
    return function (u) {
      var ctx = u.ctx;
      var l = u.bbox.left, t = u.bbox.top, w = u.bbox.width, h = u.bbox.height;
      ctx.save();
      if (band) {
        var yWarn = u.valToPos(band.warnAt, "y", true);
        var yFail = u.valToPos(band.failAt, "y", true);
        var top = t, bottom = t + h;
        ctx.fillStyle = "rgba(255,193,7,0.13)";
        var a = Math.max(top, Math.min(bottom, yFail)), b = Math.max(top, Math.min(bottom, yWarn));
        if (b > a) ctx.fillRect(l, a, w, b - a);
        ctx.fillStyle = "rgba(211,47,47,0.10)";
        if (yFail > top) ctx.fillRect(l, top, w, Math.min(bottom, yFail) - top);
        ctx.setLineDash([6, 4]);
        ctx.lineWidth = 1.5;
        [[band.warnAt, "#9a6100", "WARN " + band.warnAt + " " + band.unit], [band.failAt, "#b3261e", "FAIL " + band.failAt + " " + band.unit]].forEach(function (x) {
          var y = u.valToPos(x[0], "y", true);
          if (y < top || y > bottom) return;
          ctx.strokeStyle = x[1];
          ctx.beginPath(); ctx.moveTo(l, y); ctx.lineTo(l + w, y); ctx.stroke();
          ctx.fillStyle = x[1];
          ctx.font = (12 * devicePixelRatio) + "px sans-serif";
          ctx.fillText(x[2], l + 4, y - 4);
        });
        ctx.setLineDash([]);
      }
      (opts && opts.lines || []).forEach(function (ln) {
        var y = u.valToPos(ln.value, "y", true);
        if (y < t || y > t + h) return;
        ctx.strokeStyle = ln.colour; ctx.lineWidth = 2; ctx.setLineDash([2, 2]);
        ctx.beginPath(); ctx.moveTo(l, y); ctx.lineTo(l + w, y); ctx.stroke(); ctx.setLineDash([]);
        ctx.fillStyle = ln.colour; ctx.font = (12 * devicePixelRatio) + "px sans-serif";
        ctx.fillText(ln.label, l + w - ctx.measureText(ln.label).width - 4, y - 4);
      });
      R.series.markers.forEach(function (m) {
        var x = u.valToPos(sec(m.t), "x", true);
        if (x < l || x > l + w) return;
        ctx.strokeStyle = COLOURS[m.kind] || "#333";
        ctx.lineWidth = m.kind === "cutover" || m.kind === "rollback" ? 2 : 1;
        ctx.setLineDash(m.kind === "resolved" ? [3, 3] : []);
        ctx.beginPath(); ctx.moveTo(x, t); ctx.lineTo(x, t + h); ctx.stroke();
      });
      ctx.restore();
    };
  }

  function chart(id, title, unit, tables, seriesDefs, band, extra) {
    var el = document.getElementById(id);
    if (!el) return;
    try {
      var data = tables.length === 1 ? tables[0] : uPlot.join(tables);
      var points = 0;
      for (var i = 1; i < data.length; i++) for (var j = 0; j < data[i].length; j++) if (data[i][j] != null) points++;
      var maxY = 0;
      for (var s = 1; s < data.length; s++) for (var k = 0; k < data[s].length; k++) if (data[s][k] != null && data[s][k] > maxY) maxY = data[s][k];
      var top = Math.max(maxY * 1.15, band ? band.warnAt * 1.2 : 1, extra && extra.minTop || 0);
      var opts = {
        title: title,
        width: Math.max(320, el.clientWidth || 640),
        height: 240,
        scales: { x: { time: false, range: [Math.min(0, data[0][0] || 0), Math.max(sec(S.t1), data[0][data[0].length - 1] || 0)] }, y: { range: [0, top] } },
        axes: [
          { values: function (u, splits) { return splits.map(hhmm); }, incrs: [900, 1800, 3600, 7200, 10800, 21600] },
          { label: unit, size: 60 }
        ],
        series: [{ label: "after cutover", value: function (u, v) { return v == null ? "" : hhmm(v); } }].concat(seriesDefs),
        hooks: { drawClear: [bandsAndMarkers(band, extra)] }
      };
      var u = new uPlot(opts, data, el);
      el.setAttribute("data-drawn", "1");
      el.setAttribute("data-series", String(seriesDefs.length));
      el.setAttribute("data-points", String(points));
      window.__charts = window.__charts || [];
      window.__charts.push({ id: id, series: seriesDefs.length, points: points, instance: u });
    } catch (e) {
      el.setAttribute("data-drawn", "0");
      el.insertAdjacentHTML("beforeend", '<p class="err">chart ' + id + " could not be drawn: " + String(e && e.message || e).replace(/</g, "&lt;") + "</p>");
      console.error("chart " + id + ": " + (e && e.stack || e));
    }
  }

  var C = S.checkpoints;
  var P = S.samples;
  var pts = { show: true, size: 7 };
  function line(label, colour, more) {
    var o = { label: label, stroke: colour, width: 1.5, spanGaps: true, points: pts };
    for (var k in more || {}) o[k] = more[k];
    return o;
  }
  var thin = function (label, colour) { return { label: label, stroke: colour, width: 1, points: { show: false } }; };

  // Latency: the checkpoints' p50 and p95, and the watch's single-request latency.
  (function () {
    var tables = [[C.t, C.p50, C.p95]];
    var defs = [line("checkpoint p50 (ms)", "#64b5f6"), line("checkpoint p95 (ms)", "#0b57d0")];
    if (P) { tables.push([P.t, P.lat]); defs.push(thin("watch sample (ms)", "rgba(120,120,120,0.55)")); }
    chart("chart-latency", "KPI latency", "ms", tables, defs, S.thresholds.latency);
  })();
  (function () {
    var tables = [[C.t, C.err]];
    var defs = [line("checkpoint error rate (%)", "#b3261e")];
    if (P) { tables.push([P.t, P.err]); defs.push(thin("watch sample (%)", "rgba(179,38,30,0.45)")); }
    chart("chart-error", "Error rate", "%", tables, defs, S.thresholds.err);
  })();
  (function () {
    var M = S.memory;
    var tables = [[C.t, C.mem]];
    var defs = [line("checkpoint peak (MB)", "#2e7d32")];
    if (M.t.length) { tables.push([M.t, M.mb]); defs.push(thin("RSS samples (MB)", "rgba(46,125,50,0.5)")); }
    var tr = S.memoryTrend;
    if (tr && M.t.length > 1) {
      var x0 = M.t[0], x1 = M.t[M.t.length - 1];
      var y = function (x) { return tr.interceptMb + tr.slopeMbPerHour * (x - x0) / 3600; };
      tables.push([[x0, x1], [y(x0), y(x1)]]);
      defs.push({ label: "trend " + (tr.percentPerHour >= 0 ? "+" : "") + tr.percentPerHour.toFixed(1) + " %/h", stroke: "#ef6c00", width: 2, dash: [8, 4], spanGaps: true, points: { show: false } });
    }
    chart("chart-memory", "Memory (RSS)", "MB", tables, defs, S.thresholds.mem, { minTop: S.thresholds.mem.failAt * 1.08, lines: [{ value: S.thresholds.mem.failAt, colour: "#b3261e", label: S.thresholds.mem.failAt + " MB limit" }] });
  })();
  (function () {
    var tables = [[C.t, C.cpu]];
    var defs = [line("checkpoint mean (%)", "#6a1b9a")];
    if (P) { tables.push([P.t, P.cpu]); defs.push(thin("watch sample (%)", "rgba(106,27,154,0.45)")); }
    chart("chart-cpu", "CPU", "%", tables, defs, S.thresholds.cpu);
  })();
  (function () {
    chart("chart-audit", "Audit events per checkpoint", "events", [[C.t, C.audit]], [line("audit events", "#00838f")], null);
  })();
  }
})();
`;
