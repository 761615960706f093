/* govcx touchpoint events for an agency's web form. No dependencies.

   <script src="https://govcx.example/static/journeys/events.js" defer
           data-key="gcx_..."            an API key of the agency holding only events:write
           data-journey="having-a-child" the journey map's key
           data-touchpoint="soc-child"   the touchpoint this page is (optional)
           data-person="…"></script>     the signed-in person's govcx id, when the form knows it (optional)

   It sends `view` when the page loads, `start` at the first input in a form, `submit` when a form is
   sent, and `abandon` when the page is left after a start without a submit; `govcxEvents.track(type,
   touchpoint, properties)` sends any other. Events wait in a queue kept in localStorage and go in
   batches with navigator.sendBeacon (it survives the page closing); a batch the browser would not
   take stays queued and is sent again later with the same event ids, so govcx never counts it twice.
   The visitor id is random, kept in localStorage, and means nothing outside this site. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.key || !script.dataset.journey) { return; }
  var endpoint = script.dataset.endpoint || new URL("/api/v1/events", script.src).href;
  var QUEUE = "govcx-events-queue", VISITOR = "govcx-visitor";
  var MAX_BATCH = 500, FLUSH_MS = 5000, MAX_QUEUE = 5000;
  var started = false, submitted = false, counter = 0, retryMs = FLUSH_MS, timer = null;

  function store() { try { return window.localStorage; } catch (e) { return null; } }
  function randomHex(bytes) {
    var a = new Uint8Array(bytes);
    window.crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function visitorId() {
    var s = store(), id = s && s.getItem(VISITOR);
    if (!id) { id = "v-" + randomHex(12); if (s) { s.setItem(VISITOR, id); } }
    return id;
  }
  function load() {
    var s = store();
    try { return JSON.parse((s && s.getItem(QUEUE)) || "[]"); } catch (e) { return []; }
  }
  function save(queue) {
    var s = store();
    if (s) { try { s.setItem(QUEUE, JSON.stringify(queue.slice(-MAX_QUEUE))); } catch (e) { /* full: keep in memory */ } }
  }
  var queue = load();
  var visitor = visitorId();

  function track(type, touchpoint, properties) {
    var event = {
      id: visitor + "-" + Date.now().toString(36) + "-" + (counter++).toString(36) + randomHex(2),
      visitor_id: visitor, journey: script.dataset.journey, type: type,
      at: new Date().toISOString(), properties: properties || {}
    };
    if (script.dataset.person) { event.person_id = script.dataset.person; }
    if (touchpoint || script.dataset.touchpoint) { event.touchpoint = touchpoint || script.dataset.touchpoint; }
    queue.push(event);
    save(queue);
    if (queue.length >= MAX_BATCH) { flush(); } else { schedule(FLUSH_MS); }
  }

  function schedule(ms) {
    if (timer === null) { timer = window.setTimeout(function () { timer = null; flush(); }, ms); }
  }

  function flush() {
    if (!queue.length) { return; }
    var batch = queue.slice(0, MAX_BATCH);
    // text/plain keeps a cross-site beacon a simple request; govcx reads the body as JSON whatever its type.
    var body = new Blob([JSON.stringify({ key: script.dataset.key, events: batch })], { type: "text/plain" });
    var taken = false;
    if (navigator.sendBeacon) {
      try { taken = navigator.sendBeacon(endpoint, body); } catch (e) { taken = false; }
    }
    if (taken) {
      queue = queue.slice(batch.length);
      save(queue);
      retryMs = FLUSH_MS;
      if (queue.length) { schedule(0); }
    } else {
      // Not taken (offline, or the browser's beacon quota): the same events, the same ids, later.
      retryMs = Math.min(retryMs * 2, 60000);
      schedule(retryMs);
    }
  }

  document.addEventListener("input", function (e) {
    if (!started && e.target && e.target.form) { started = true; track("start"); }
  }, true);
  document.addEventListener("submit", function () { submitted = true; track("submit"); flush(); }, true);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flush(); }
  });
  window.addEventListener("pagehide", function () {
    if (started && !submitted) { track("abandon"); }
    flush();
  });

  window.govcxEvents = { track: track, flush: flush };
  track("view");
})();
