// Draws the stats view's charts from the JSON the page embeds (#stats-data);
// the same numbers are in the tables beside them.
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("stats-data");
    if (!holder || typeof Chart === "undefined") { return; }
    var data = JSON.parse(holder.textContent);
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
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
