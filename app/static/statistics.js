/* I2: draw each statistics table's chart (Chart.js, served from our own static files). */
(function () {
  var colours = ["#337ab7", "#5cb85c", "#f0ad4e", "#d9534f", "#5bc0de", "#8e6bbf", "#777777", "#2b9f8f",
                 "#c27c0e", "#a94442"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var d = JSON.parse(canvas.getAttribute("data-chart"));
    var round = d.type === "doughnut";
    new Chart(canvas, {
      type: d.type,
      data: {labels: d.labels, datasets: [{label: d.label, data: d.values, fill: false, tension: 0.2,
        backgroundColor: round ? colours : colours[0], borderColor: round ? "#fff" : colours[0]}]},
      options: {responsive: true, maintainAspectRatio: false, animation: false,
        plugins: {legend: {display: round, position: window.innerWidth < 600 ? "bottom" : "right"}},
        scales: round ? {} : {y: {beginAtZero: true}}}
    });
  });
})();
