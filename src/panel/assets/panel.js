// simgate panel: the one script of every page (served from the repository; no framework).
// It keeps one live stream per tab, refreshes the page's live region in place when the
// stream reports a change, lists the latest events, shows times in the browser's time zone
// and counts new messages in the tab title while the tab is hidden.
"use strict";
(function () {
  var body = document.body;
  var feed = body.getAttribute("data-feed");
  var indicator = document.getElementById("live-state");
  var live = document.querySelector("[data-live]");
  var list = document.querySelector("[data-events]");
  var baseTitle = document.title;
  var unseen = 0;

  function localTimes(root) {
    var times = root.querySelectorAll("time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var d = new Date(times[i].getAttribute("datetime"));
      if (!isNaN(d.getTime())) times[i].textContent = d.toLocaleString();
    }
  }
  localTimes(document);
  if (feed === null) return;

  function signedOut() {
    location.href = "/login?expired=1";
  }

  // One refresh at a time; changes that arrive meanwhile make one more afterwards.
  var refreshing = false;
  var again = false;
  var timer = null;
  // Someone typing in a form of the live region (a card's edit form) keeps it: the refresh
  // waits until the form is closed or left.
  function busy() {
    // Rows ticked in a list that holds still while ticked (the Messages page's, where a new
    // message would shift the rows under the pointer before the delete) count as a form being
    // filled in. Elsewhere ticked boxes stay ticked across the refresh (below).
    var open = live.querySelector("details[open], [data-hold-while-ticked] input[type=checkbox]:checked");
    var focused = document.activeElement;
    return open !== null || (focused !== null && live.contains(focused) && /^(INPUT|TEXTAREA|SELECT)$/.test(focused.tagName));
  }
  function refresh() {
    if (!live) return;
    if (busy()) {
      again = false;
      setTimeout(soon, 1000);
      return;
    }
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    fetch(location.pathname + location.search, { headers: { "x-simgate-fragment": "1" }, credentials: "same-origin" })
      .then(function (res) {
        if (res.status === 401) return signedOut();
        if (!res.ok) return;
        return res.text().then(function (text) {
          // Boxes ticked for a bulk action stay ticked across the refresh.
          var ticked = {};
          var boxes = live.querySelectorAll("input[type=checkbox][form]:checked");
          for (var b = 0; b < boxes.length; b++) ticked[boxes[b].name] = true;
          live.innerHTML = text;
          boxes = live.querySelectorAll("input[type=checkbox][form]");
          for (var c = 0; c < boxes.length; c++) if (ticked[boxes[c].name]) boxes[c].checked = true;
          localTimes(live);
          body.setAttribute("data-refreshed", String(Date.now()));
        });
      })
      .catch(function () {})
      .then(function () {
        refreshing = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }
  // A burst of events (a bank row switching) makes one refresh, not one per event.
  function soon() {
    if (timer) return;
    timer = setTimeout(function () {
      timer = null;
      refresh();
    }, 300);
  }

  function show(id, event) {
    if (!list) return;
    var item = document.createElement("li");
    item.setAttribute("data-id", id);
    item.setAttribute("data-type", event.type);
    var when = document.createElement("time");
    when.setAttribute("datetime", event.at);
    when.textContent = new Date(event.at).toLocaleTimeString();
    var what = document.createElement("span");
    var p = event.payload || {};
    what.textContent = " " + event.type + (event.device ? " · " + event.device : "") + (p.modem !== undefined ? " #" + p.modem : "") + (p.state !== undefined ? " · " + p.state : "") + (p.kind ? " · " + p.kind : "");
    item.appendChild(when);
    item.appendChild(what);
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 100) list.removeChild(list.lastChild);
    body.classList.add("has-events");
  }

  var lastId = feed;
  var source = null;
  function connect() {
    // A new EventSource sends no Last-Event-ID: where to resume goes in the address instead.
    source = new EventSource("/panel/live?after=" + encodeURIComponent(lastId));
    source.onopen = function () {
      indicator.textContent = indicator.getAttribute("data-live-text");
      indicator.classList.add("on");
      body.setAttribute("data-stream", "open");
    };
    source.onerror = function () {
      indicator.textContent = indicator.getAttribute("data-offline-text");
      indicator.classList.remove("on");
      body.setAttribute("data-stream", "reconnecting");
      // The browser retries on its own, unless the server refused (the session ended).
      if (source.readyState === EventSource.CLOSED) {
        fetch(location.pathname, { headers: { "x-simgate-fragment": "1" }, credentials: "same-origin" }).then(function (res) {
          if (res.status === 401) signedOut();
          else setTimeout(connect, 2000);
        }, function () {
          setTimeout(connect, 2000);
        });
      }
    };
    source.addEventListener("feed", function (message) {
      lastId = message.lastEventId || lastId;
      var event = JSON.parse(message.data);
      show(message.lastEventId, event);
      if (event.type === "smsReceived" && document.hidden) {
        unseen++;
        document.title = "(" + unseen + ") " + baseTitle;
      }
      soon();
    });
    // Something committed that the feed holds back behind an older transaction still open
    // somewhere: the live region is fetched again now, the event itself comes later.
    source.addEventListener("changed", function () {
      soon();
    });
    source.addEventListener("signed-out", function () {
      source.close();
      signedOut();
    });
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      unseen = 0;
      document.title = baseTitle;
    }
  });
  connect();
})();
