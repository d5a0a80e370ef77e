// venuekit console: the one script. Pages work without it; with it, a test's steps and
// the open orders update in place from server-sent events. Text only, never HTML.
"use strict";
(function () {
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function stepItem(step) {
    var li = el("li", "step " + (step.ok ? "ok" : "fail"));
    li.appendChild(el("span", "mark", step.ok ? "ok" : "FAIL"));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "name", step.name));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "ms", Math.round(step.duration_ms || 0) + " ms"));
    if (step.error) { li.appendChild(document.createTextNode(" ")); li.appendChild(el("span", "kind", step.error)); }
    li.appendChild(el("div", "detail", step.detail));
    return li;
  }
  function showError(parent, error) {
    var box = el("div", "error");
    box.setAttribute("role", "alert");
    var head = el("p");
    head.appendChild(el("strong", "code", error.code));
    if (error.venue) { head.appendChild(document.createTextNode(" from " + error.venue)); }
    if (error.venue_code) { head.appendChild(document.createTextNode(" (venue code " + error.venue_code + ")")); }
    box.appendChild(head);
    box.appendChild(el("p", "message", error.message));
    parent.appendChild(box);
  }

  var steps = document.getElementById("steps");
  if (steps && steps.dataset.events) {
    var status = document.getElementById("test-status");
    var source = new EventSource(steps.dataset.events);
    source.addEventListener("step", function (event) {
      var step = JSON.parse(event.data);
      if (step.index >= steps.children.length) { steps.appendChild(stepItem(step)); }
    });
    source.addEventListener("done", function (event) {
      var outcome = JSON.parse(event.data);
      source.close();
      steps.replaceChildren.apply(steps, outcome.steps.map(stepItem));
      var words = {ok: "passed", failed: "failed", error: "could not run"};
      status.textContent = words[outcome.status] || outcome.status;
      status.dataset.status = outcome.status;
      var warnings = document.getElementById("warnings");
      outcome.warnings.forEach(function (w) { warnings.appendChild(el("li", "", w)); });
      if (outcome.error) { showError(steps.parentNode, outcome.error); }
    });
    source.addEventListener("ended", function () { source.close(); status.textContent = "session ended: log in again"; });
    source.onerror = function () { if (status.dataset.status === "running") { status.textContent = "running… (connection lost; reload to see the result)"; source.close(); } };
  }

  var orders = document.getElementById("open-orders");
  if (orders && orders.dataset.events) {
    var stamp = document.getElementById("orders-updated");
    var feed = new EventSource(orders.dataset.events);
    var columns = ["symbol", "order_id", "side", "type", "status", "price", "quantity", "filled", "created"];
    feed.addEventListener("orders", function (event) {
      var got = JSON.parse(event.data);
      var rows = got.orders.map(function (o) {
        var tr = el("tr");
        columns.forEach(function (c) { tr.appendChild(el("td", "", o[c])); });
        return tr;
      });
      orders.tBodies[0].replaceChildren.apply(orders.tBodies[0], rows);
      orders.hidden = false;
      stamp.textContent = rows.length + " open, " + (got.live ? "live from the venue's order stream" : "polled") + " at " + new Date().toLocaleTimeString();
    });
    feed.addEventListener("problem", function (event) {
      var got = JSON.parse(event.data);
      stamp.textContent = got.unsupported ? got.unsupported : "last poll failed: " + got.error.code + ": " + got.error.message;
      if (got.unsupported) { feed.close(); }
    });
    feed.addEventListener("ended", function () { feed.close(); });
  }
})();
