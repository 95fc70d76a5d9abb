// Small helpers for the server-rendered pages: seek the recording, refresh the dashboard.
(function () {
  "use strict";

  function seek(seconds) {
    var player = document.getElementById("player");
    if (!player) { return; }
    player.currentTime = seconds;
    player.scrollIntoView({ behavior: "smooth", block: "center" });
    var playing = player.play();
    if (playing && playing.catch) { playing.catch(function () {}); }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.seek");
    if (!link) { return; }
    event.preventDefault();
    seek(parseFloat(link.dataset.t || "0"));
  });

  var refresh = parseInt(document.body.dataset.refresh || "0", 10);
  if (refresh > 0) {
    var pause = document.getElementById("pause-refresh");
    if (pause) { pause.checked = sessionStorage.getItem("vv-pause") === "1"; }
    if (pause) {
      pause.addEventListener("change", function () {
        sessionStorage.setItem("vv-pause", pause.checked ? "1" : "0");
      });
    }
    setInterval(function () {
      var busy = document.activeElement && document.activeElement.closest("form");
      if ((pause && pause.checked) || busy) { return; }
      window.location.replace(window.location.pathname);
    }, refresh * 1000);
  }

  // Disable decision buttons once clicked so a double click records one decision.
  document.addEventListener("submit", function (event) {
    var buttons = event.target.querySelectorAll("button[type=submit]");
    setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
  });
})();
