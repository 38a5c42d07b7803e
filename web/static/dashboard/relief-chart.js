/* The pain-relief chart of a block page: relief % over minutes since the block, with the
   threshold as a dashed line, the anaesthetic's expected window shaded and missed check-ins
   marked. Data comes from the page's json_script tag (#relief-data); the same numbers are in
   the page's tables, for screen readers and print. */
(function () {
  "use strict";
  var source = document.getElementById("relief-data");
  var canvas = document.getElementById("relief-chart");
  if (!source || !canvas || !window.Chart) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var css = getComputedStyle(document.documentElement);
  function colour(name, fallback) {
    return css.getPropertyValue(name).trim() || fallback;
  }
  var relief = colour("--chart-relief", "#1f5fa8");
  var threshold = colour("--chart-threshold", "#8a1c1c");
  var windowFill = colour("--chart-window", "rgba(31, 95, 168, 0.10)");
  var missed = colour("--chart-missed", "#8a4b00");

  var WINDOW = 3; // the legend-only dataset standing for the shaded window

  // The expected window, shaded behind the data (Chart.js has no annotations built in).
  var shadeWindow = {
    id: "expectedWindow",
    beforeDatasetsDraw: function (chart) {
      if (!chart.isDatasetVisible(WINDOW)) {
        return;
      }
      var x = chart.scales.x;
      var area = chart.chartArea;
      var left = x.getPixelForValue(Math.max(data.window[0], x.min));
      var right = x.getPixelForValue(Math.min(data.window[1], x.max));
      chart.ctx.save();
      chart.ctx.fillStyle = windowFill;
      chart.ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
      chart.ctx.restore();
    }
  };

  var lowest = Math.min.apply(null, [0].concat(data.readings.map(function (p) { return p.y; })));
  var chart = new window.Chart(canvas, {
    type: "line",
    data: {
      datasets: [
        {
          label: "Relief %",
          data: data.readings,
          borderColor: relief,
          backgroundColor: relief,
          borderWidth: 2,
          pointRadius: 4,
          tension: 0
        },
        {
          label: "Threshold " + data.threshold + " %",
          data: [{ x: 0, y: data.threshold }, { x: data.span, y: data.threshold }],
          borderColor: threshold,
          backgroundColor: threshold,
          borderDash: [6, 4],
          borderWidth: 2,
          pointRadius: 0,
          pointStyle: "line"
        },
        {
          label: "Missed check-in",
          data: data.missed.map(function (m) { return { x: m.x, y: 0, label: m.label }; }),
          showLine: false,
          pointStyle: "crossRot",
          pointRadius: 9,
          pointBorderWidth: 3,
          borderColor: missed,
          backgroundColor: missed
        },
        {
          label: "Expected " + data.anesthetic + " window",
          data: [],
          pointStyle: "rect",
          backgroundColor: windowFill,
          borderColor: windowFill
        }
      ]
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "nearest", intersect: false },
      scales: {
        x: {
          type: "linear",
          min: 0,
          max: data.span,
          // The data stay in minutes (the readings' own unit); the axis reads in hours.
          ticks: { stepSize: 60, callback: function (minutes) { return minutes / 60 + " h"; } },
          title: { display: true, text: "Hours since the block" }
        },
        y: {
          min: Math.floor(lowest / 10) * 10,
          max: 100,
          title: { display: true, text: "Relief %" }
        }
      },
      plugins: {
        legend: { labels: { usePointStyle: true } },
        tooltip: {
          callbacks: {
            label: function (item) {
              var point = item.raw;
              if (item.datasetIndex === 0) {
                return point.y + " % relief (pain " + point.pain + "/10) at " + point.x + " min";
              }
              if (item.datasetIndex === 2) {
                return "Missed: " + point.label;
              }
              return item.dataset.label;
            }
          }
        }
      }
    },
    plugins: [shadeWindow]
  });

  // Redraw at the paper's width when printing.
  window.addEventListener("beforeprint", function () { chart.resize(); });
  window.addEventListener("afterprint", function () { chart.resize(); });
})();
