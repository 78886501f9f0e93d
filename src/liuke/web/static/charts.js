// Renders every element with a data-chart attribute (an ECharts option as JSON) once ECharts
// has loaded. Inline scripts are forbidden by the page's Content-Security-Policy, so pages put
// their chart options in the markup and this one file draws them.
(function () {
  "use strict";
  function draw() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var option = JSON.parse(el.getAttribute("data-chart"));
      if (navigator.webdriver) { option.animation = false; }  // stable screenshots in tests
      var chart = window.echarts.init(el);
      chart.setOption(option);
      el.setAttribute("data-chart-ready", "true");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
