// Plain JavaScript for the server-rendered pages (served from /static, no CDN):
// the frame viewer (zoom, pan, previous/next), seeking the recording to a frame's exact time
// and pausing there, keyboard shortcuts on a case, and the dashboard's in-page refresh.
(function () {
  "use strict";

  // ------------------------------------------------------------------ frame viewer
  var stage = document.getElementById("stage");
  var canvas = document.getElementById("canvas");
  var view = { z: 1, x: 0, y: 0 };
  var thumbs = Array.prototype.slice.call(document.querySelectorAll("#frames button.thumb"));
  var current = 0;

  function apply() {
    if (!canvas) { return; }
    var w = stage.clientWidth, h = stage.clientHeight;
    // keep the image inside the stage: no panning past its edges
    view.x = Math.min(0, Math.max(w - w * view.z, view.x));
    view.y = Math.min(0, Math.max(h - h * view.z, view.y));
    canvas.style.transform = "translate(" + view.x + "px," + view.y + "px) scale(" + view.z + ")";
    canvas.style.setProperty("--z", view.z);
    var level = document.getElementById("zoom-level");
    if (level) { level.textContent = Math.round(view.z * 100) + " %"; }
    stage.dataset.zoom = view.z.toFixed(2);
  }

  function zoom(factor, cx, cy) {
    if (!stage) { return; }
    var z = Math.max(1, Math.min(8, view.z * factor));
    if (cx === undefined) { cx = stage.clientWidth / 2; cy = stage.clientHeight / 2; }
    view.x = cx - (cx - view.x) * (z / view.z);
    view.y = cy - (cy - view.y) * (z / view.z);
    view.z = z;
    apply();
  }

  function fit() { view = { z: 1, x: 0, y: 0 }; apply(); }

  function boxHtml(b) {
    var label = document.createElement("span");
    label.className = "box-label";
    label.textContent = b.text + (b.confidence ? " · " + Math.round(b.confidence) + " %" : "");
    var box = document.createElement("div");
    box.className = "box";
    box.style.left = b.left + "%"; box.style.top = b.top + "%";
    box.style.width = b.width + "%"; box.style.height = b.height + "%";
    box.appendChild(label);
    return box;
  }

  function show(i, withSeek) {
    if (!thumbs.length || !canvas) { return; }
    current = (i + thumbs.length) % thumbs.length;
    var t = thumbs[current];
    var img = document.getElementById("viewer-img");
    img.src = t.dataset.src;
    img.alt = "Frame at " + t.dataset.caption;
    document.getElementById("viewer-caption").textContent = t.dataset.caption;
    var boxes = document.getElementById("viewer-boxes");
    boxes.textContent = "";
    JSON.parse(t.dataset.boxes || "[]").forEach(function (b) { boxes.appendChild(boxHtml(b)); });
    thumbs.forEach(function (b) { b.classList.toggle("current", b === t); });
    stage.dataset.index = t.dataset.index;
    stage.style.aspectRatio = t.dataset.ratio || "16 / 9";
    fit();
    if (withSeek) { seek(parseFloat(t.dataset.t || "0")); }
  }

  // Without the recording, a time shows the kept frame nearest to it.
  function nearestFrame(seconds) {
    var best = -1, gap = Infinity;
    thumbs.forEach(function (t, i) {
      var d = Math.abs(parseFloat(t.dataset.t || "0") - seconds);
      if (d < gap) { gap = d; best = i; }
    });
    if (best >= 0 && best !== current) { show(best, false); }
  }

  function indexOfFrame(n) {
    for (var i = 0; i < thumbs.length; i++) { if (thumbs[i].dataset.index === String(n)) { return i; } }
    return -1;
  }

  // Seek the recording to the frame's time and stay there (paused), beside the frame.
  function seek(seconds) {
    var player = document.getElementById("player");
    if (!player) { nearestFrame(seconds); return; }
    player.pause();
    player.currentTime = seconds;
    player.dataset.seekedTo = String(seconds);
  }

  if (stage) {
    stage.addEventListener("wheel", function (e) {
      e.preventDefault();
      var r = stage.getBoundingClientRect();
      zoom(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    var drag = null;
    stage.addEventListener("pointerdown", function (e) {
      drag = { x: e.clientX - view.x, y: e.clientY - view.y };
      stage.classList.add("dragging");
      stage.setPointerCapture(e.pointerId);
    });
    stage.addEventListener("pointermove", function (e) {
      if (!drag) { return; }
      view.x = e.clientX - drag.x; view.y = e.clientY - drag.y; apply();
    });
    function endDrag() { drag = null; stage.classList.remove("dragging"); }
    stage.addEventListener("pointerup", endDrag);
    stage.addEventListener("pointercancel", endDrag);
    stage.addEventListener("dblclick", function (e) {
      var r = stage.getBoundingClientRect();
      if (view.z > 1) { fit(); } else { zoom(2.5, e.clientX - r.left, e.clientY - r.top); }
    });
    var on = function (id, fn) { var el = document.getElementById(id); if (el) { el.addEventListener("click", fn); } };
    on("zoom-in", function () { zoom(1.5); });
    on("zoom-out", function () { zoom(1 / 1.5); });
    on("zoom-fit", fit);
    on("prev-frame", function () { show(current - 1, true); });
    on("next-frame", function () { show(current + 1, true); });
    window.addEventListener("resize", apply);
  }

  document.addEventListener("click", function (event) {
    var frameButton = event.target.closest(".show-frame");
    var seekButton = event.target.closest(".seek");
    if (frameButton) {
      event.preventDefault();
      var i = indexOfFrame(frameButton.dataset.index);
      if (i >= 0) { show(i, true); }
      if (stage && window.matchMedia("(max-width: 1099px)").matches) {
        stage.scrollIntoView({ block: "nearest" });
      }
    } else if (seekButton) {
      event.preventDefault();
      var j = seekButton.dataset.index !== undefined ? indexOfFrame(seekButton.dataset.index) : -1;
      if (j >= 0) { show(j, false); }
      seek(parseFloat(seekButton.dataset.t || "0"));
    }
  });

  // ------------------------------------------------------------------ keyboard shortcuts
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }
  function hint(text) { var h = document.getElementById("key-hint"); if (h) { h.textContent = text; } }

  if (document.body.dataset.page === "case") {
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) { return; }
      var k = e.key;
      var approve = document.getElementById("approve");
      var reject = document.getElementById("reject");
      var reason = document.getElementById("reason");
      if ((k === "a" || k === "A") && approve) {
        e.preventDefault(); approve.focus(); hint("Press Enter to approve.");
      } else if ((k === "r" || k === "R") && reject) {
        e.preventDefault();
        if (reason && !reason.value) { reason.focus(); hint("Choose a reason, then press R again."); }
        else { reject.focus(); hint("Press Enter to reject."); }
      } else if (k === "n" || k === "N") {
        var next = document.getElementById("next-case");
        if (next) { e.preventDefault(); window.location.href = next.href; }
      } else if (k === "j" || k === "]") { e.preventDefault(); show(current + 1, true); }
      else if (k === "k" || k === "[") { e.preventDefault(); show(current - 1, true); }
      else if (k === "+" || k === "=") { e.preventDefault(); zoom(1.5); }
      else if (k === "-") { e.preventDefault(); zoom(1 / 1.5); }
      else if (k === "0") { e.preventDefault(); fit(); }
    });
    // From the reason list, R (or Escape) goes on to the Reject button.
    var reasonSelect = document.getElementById("reason");
    if (reasonSelect) {
      reasonSelect.addEventListener("keydown", function (e) {
        if ((e.key === "r" || e.key === "R" || e.key === "Escape") && reasonSelect.value) {
          e.preventDefault(); document.getElementById("reject").focus(); hint("Press Enter to reject.");
        }
      });
    }
  }

  // ------------------------------------------------------------------ dashboard refresh
  // Fetch the page again and swap the live sections in place: scroll position, ticked
  // boxes and typed text stay. Paused while a form is in use or a box is ticked.
  var refresh = parseInt(document.body.dataset.refresh || "0", 10);
  if (refresh > 0) {
    var pause = document.getElementById("pause-refresh");
    if (pause) {
      pause.checked = sessionStorage.getItem("vv-pause") === "1";
      pause.addEventListener("change", function () { sessionStorage.setItem("vv-pause", pause.checked ? "1" : "0"); });
    }
    setInterval(function () {
      var active = document.activeElement;
      var busy = active && active !== pause && active.closest("form");
      var ticked = document.querySelector("input.pick:checked");
      if ((pause && pause.checked) || busy || ticked) { return; }
      fetch(window.location.pathname, { credentials: "same-origin", headers: { "X-Refresh": "1" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var doc = new DOMParser().parseFromString(html, "text/html");
          document.querySelectorAll("[data-live]").forEach(function (el) {
            var fresh = doc.getElementById(el.id);
            if (fresh) { el.replaceWith(fresh); }
          });
          document.body.dataset.refreshed = String(Date.now());
        })
        .catch(function () {});
    }, refresh * 1000);
  }

  // Requeue asks first (a form with data-confirm); decision buttons are disabled once
  // clicked so a double click records one decision.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
    var buttons = form.querySelectorAll("button[type=submit]");
    setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
  });
  document.addEventListener("change", function (event) {
    if (event.target.id === "pick-all") {
      document.querySelectorAll("input.pick").forEach(function (c) { c.checked = event.target.checked; });
    }
  });
})();
