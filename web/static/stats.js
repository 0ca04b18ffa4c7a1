// Draws the stats view's charts from the JSON the page embeds (#stats-data, #group-data: data-chart);
// the same numbers are in the tables beside them.
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("stats-data");
    if (!holder || typeof Chart === "undefined") { return; }
    var data = JSON.parse(holder.dataset.chart);
    document.documentElement.classList.add("js");
    Chart.defaults.font.family = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
    var years = document.getElementById("chart-years");
    if (years && data.years && data.years.length) {
      new Chart(years, {
        type: "bar",
        data: {
          labels: data.years,
          datasets: [
            { label: data.labels.count, data: data.year_counts, backgroundColor: "#3b6ea5", yAxisID: "y" },
            { label: data.labels.applications, data: data.year_applications, backgroundColor: "#e0a030", yAxisID: "y1" }
          ]
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          scales: { y: { beginAtZero: true, position: "left" },
                    y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } }
        }
      });
      years.setAttribute("data-drawn", "true");
    }
    var outcomes = document.getElementById("chart-outcomes");
    if (outcomes && data.outcome_labels && data.outcome_labels.length) {
      new Chart(outcomes, {
        type: "bar",
        data: { labels: data.outcome_labels,
                datasets: [{ label: data.labels.outcomes, data: data.outcome_values, backgroundColor: "#5b9c6b" }] },
        options: { indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
                   plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } }
      });
      outcomes.setAttribute("data-drawn", "true");
    }
    var groups = document.getElementById("chart-groups");
    var grouped = document.getElementById("group-data");
    if (groups && grouped) {
      var g = JSON.parse(grouped.dataset.chart);
      var colours = ["#3b6ea5", "#e0a030", "#5b9c6b", "#a05195", "#d45087", "#2f4b7c", "#ff7c43", "#665191"];
      new Chart(groups, {
        type: "bar",
        data: { labels: g.labels,
                datasets: g.datasets.map(function (d, i) {
                  return { label: d.label, data: d.data, backgroundColor: colours[i % colours.length] };
                }) },
        options: { responsive: true, maintainAspectRatio: false, animation: false,
                   plugins: { legend: { display: g.datasets.length > 1 } }, scales: { y: { beginAtZero: true } } }
      });
      groups.setAttribute("data-drawn", "true");
    }
  }
  // the grouping form swaps #stats-results in place (htmx): draw the new canvases
  document.addEventListener("htmx:afterSettle", draw);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
