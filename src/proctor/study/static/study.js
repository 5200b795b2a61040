// Proctor study: the judge page's small enhancements (the form works without them).
// Served from this server ('script-src self'); no inline script, no external resource.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var slider = document.getElementById("p_a");
  var out = document.getElementById("p_a_out");
  if (slider && out) {
    var show = function () {
      var a = Math.round(parseFloat(slider.value) * 100);
      out.textContent = "A " + a + "% · B " + (100 - a) + "%";
    };
    slider.addEventListener("input", show);
    show();
  }
  // The judgment goes through the JSON API (the same endpoint model judges use), with the session cookie and the
  // page's CSRF token in a header; without JavaScript the form posts to /judge instead.
  var form = document.getElementById("judgment");
  var status = document.getElementById("status");
  if (form && window.fetch) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var field = function (name) { return form.elements.namedItem(name).value; };  // (elements.item is a method)
      var body = {item: field("item"), p_a: parseFloat(field("p_a")), explanation: field("explanation")};
      fetch("/api/judgments", {method: "POST", credentials: "same-origin",
                               headers: {"Content-Type": "application/json", "X-CSRF-Token": field("csrf")},
                               body: JSON.stringify(body)})
        .then(function (r) {
          return r.json().then(function (j) {  // the body is read before the page moves on
            if (r.status === 200 || r.status === 201) { window.location.assign("/judge"); }
            else if (j.timed_out) {  // refused after the time limit: the item is recorded as timed out
              status.textContent = j.error + " ";
              var next = document.createElement("a");
              next.href = "/judge"; next.id = "next"; next.textContent = "Go on to the next item";
              status.appendChild(next);
            }
            else { status.textContent = "Not stored: " + (j.error || r.status); }
          });
        })
        .catch(function () { status.textContent = "Not stored: the server did not answer; try again."; });
    });
  }
  var timer = document.getElementById("timer");
  if (timer) {
    var left = parseInt(timer.getAttribute("data-left"), 10);
    var tick = function () {
      timer.textContent = left > 0 ? left + " s left" : "time is up";
      if (left > 0) { left -= 1; setTimeout(tick, 1000); }
    };
    tick();
  }
});
