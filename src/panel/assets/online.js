// simgate panel, the Online page: copying a code from an SMS, the USSD box that continues a
// network's menu in place, and (when the user opts in) a sound and a desktop notification
// on a new SMS or incoming call. Nothing is fetched from elsewhere; the sound is made here.
"use strict";
(function () {
  var root = document.querySelector("[data-online]");
  if (!root) return;
  var body = document.body;

  // ---- the code in an SMS, to the clipboard ------------------------------------------------
  // Codes copied on this page: a button the live region draws again still says so.
  var copied = {};
  function markCopied(scope) {
    var buttons = scope.querySelectorAll("button.copy[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      if (!copied[buttons[i].getAttribute("data-copy")]) continue;
      buttons[i].textContent = buttons[i].getAttribute("data-copied");
      buttons[i].setAttribute("data-done", "1");
    }
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button.copy[data-copy]") : null;
    if (!button || !navigator.clipboard) return;
    var code = button.getAttribute("data-copy");
    navigator.clipboard.writeText(code).then(function () {
      copied[code] = true;
      markCopied(document);
    });
  });
  var live = document.getElementById("live");
  if (live && window.MutationObserver)
    new MutationObserver(function () {
      markCopied(live);
    }).observe(live, { childList: true });

  // ---- USSD in place ---------------------------------------------------------------------
  function line(log, cls, text) {
    var item = document.createElement("li");
    item.className = cls;
    item.textContent = text;
    log.appendChild(item);
    return item;
  }
  function sessionOpen(form, open) {
    var label = form.querySelector("[data-ussd-label]");
    var button = form.querySelector("button[type=submit]");
    label.textContent = form.getAttribute(open ? "data-label-reply" : "data-label-code");
    button.textContent = form.getAttribute(open ? "data-send" : "data-run");
    form.setAttribute("data-session", open ? "open" : "closed");
  }
  // Follows one exchange until the network answered (or the job gave up).
  function follow(form, id, waiting) {
    var log = form.querySelector("[data-ussd-log]");
    var deadline = Date.now() + 120000;
    function poll() {
      fetch("/online/ussd/" + id, { headers: { accept: "application/json" }, credentials: "same-origin" })
        .then(function (res) {
          return res.json();
        })
        .then(function (x) {
          if (x.state === "queued" && Date.now() < deadline) return void setTimeout(poll, 300);
          waiting.remove();
          var failed = x.state !== "done";
          var text = failed ? form.getAttribute("data-failed").replace("{reason}", x.status || "") : x.reply || (x.status === "terminated" ? form.getAttribute("data-ended") : x.status || "");
          var got = line(log, failed ? "got bad" : "got", text);
          got.setAttribute("data-status", x.status || "");
          sessionOpen(form, !failed && x.status === "more");
          form.removeAttribute("aria-busy");
          var input = form.querySelector("input[name=code]");
          input.value = "";
          input.focus();
        })
        .catch(function () {
          setTimeout(poll, 1000);
        });
    }
    poll();
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-ussd]")) return;
    e.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return;
    var log = form.querySelector("[data-ussd-log]");
    var code = form.querySelector("input[name=code]").value.trim();
    var data = new URLSearchParams(new FormData(form));
    form.setAttribute("aria-busy", "true");
    line(log, "sent", code);
    var waiting = line(log, "wait", form.getAttribute("data-waiting"));
    fetch(form.action, { method: "POST", body: data, headers: { accept: "application/json" }, credentials: "same-origin" })
      .then(function (res) {
        return res.json().then(function (x) {
          if (!res.ok || !x.ussd_id) throw new Error(x.error || String(res.status));
          follow(form, x.ussd_id, waiting);
        });
      })
      .catch(function (error) {
        waiting.remove();
        line(log, "got bad", error.message);
        form.removeAttribute("aria-busy");
      });
  });

  // ---- sound and desktop notifications on a new SMS or call -------------------------------
  var options = document.querySelector("[data-online-alerts]");
  var sound = document.getElementById("online-sound");
  var notify = document.getElementById("online-notify");
  var audio = null;
  var KEY = "simgate.online.sound";
  if (options) options.hidden = false;
  function soundOn() {
    if (!audio && (window.AudioContext || window.webkitAudioContext)) audio = new (window.AudioContext || window.webkitAudioContext)();
  }
  if (sound) {
    sound.checked = localStorage.getItem(KEY) === "1";
    sound.addEventListener("change", function () {
      localStorage.setItem(KEY, sound.checked ? "1" : "0");
      // Made while the user clicks: a browser lets a page sound only after a gesture.
      if (sound.checked) soundOn();
    });
  }
  function notifyState() {
    if (!notify) return;
    if (!("Notification" in window)) return void (notify.hidden = true);
    if (Notification.permission === "granted") notify.textContent = notify.getAttribute("data-granted");
    if (Notification.permission === "denied") notify.textContent = notify.getAttribute("data-denied");
    notify.disabled = Notification.permission !== "default";
  }
  notifyState();
  if (notify)
    notify.addEventListener("click", function () {
      if ("Notification" in window) Notification.requestPermission().then(notifyState);
    });
  // Two short tones, made here: nothing to load.
  function beep() {
    soundOn();
    if (!audio) return;
    if (audio.state === "suspended") audio.resume();
    [0, 0.18].forEach(function (start, i) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = i ? 1175 : 880;
      gain.gain.setValueAtTime(0.0001, audio.currentTime + start);
      gain.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + start + 0.15);
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + start);
      osc.stop(audio.currentTime + start + 0.16);
    });
  }
  // What is new is read from the feed as the page draws it: every SMS or incoming call not
  // on the page before. The live region is drawn again both on a settled event and on the
  // early "something changed" hint, so an alert does not wait behind a slow transaction.
  var seen = {};
  function items() {
    return document.querySelectorAll('#live li[data-kind="sms-in"], #live li[data-kind="call"][data-direction="incoming"]');
  }
  function key(item) {
    return item.getAttribute("data-kind") + ":" + item.getAttribute("data-id");
  }
  var first = items();
  for (var i = 0; i < first.length; i++) seen[key(first[i])] = true;
  function alertNew() {
    var now = items();
    for (var i = now.length - 1; i >= 0; i--) {
      var item = now[i];
      if (seen[key(item)]) continue;
      seen[key(item)] = true;
      announce(item);
    }
  }
  function announce(item) {
    var sms = item.getAttribute("data-kind") === "sms-in";
    var text = item.querySelector(".text");
    body.setAttribute("data-alerts", String(Number(body.getAttribute("data-alerts") || 0) + 1));
    if (sound && sound.checked) beep();
    if ("Notification" in window && Notification.permission === "granted") {
      var title = root.getAttribute(sms ? "data-sms-title" : "data-call-title") + " · " + item.getAttribute("data-card-label");
      new Notification(title, { body: sms ? item.getAttribute("data-from") + ": " + (text ? text.textContent : "") : item.getAttribute("data-from"), tag: key(item) });
    }
  }
  if (live && window.MutationObserver) new MutationObserver(alertNew).observe(live, { childList: true });
})();
