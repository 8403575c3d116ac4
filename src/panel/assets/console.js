// simgate panel: the AT console page. One WebSocket to the service's console (/console/ws)
// for this modem; a line editor in the terminal (history on the arrows, a `> ` prompt for an
// SMS body, y/n for a line the service wants confirmed); replies, unsolicited codes and the
// service's notes written into the terminal and, for screen readers, into a log beside it.
// The lease, the hot buttons, the history search and the transcript's export drive the same
// socket; the "many modems at once" form posts to /console/batch.
"use strict";
(function () {
  var root = document.querySelector("[data-console]");
  if (!root || typeof Terminal === "undefined") return;
  var S = JSON.parse(root.getAttribute("data-strings"));
  var device = root.getAttribute("data-device");
  var modem = root.getAttribute("data-modem");
  var csrf = root.getAttribute("data-csrf");
  var stateEl = root.querySelector("[data-console-state]");
  var logEl = root.querySelector("[data-console-log]");
  var termEl = root.querySelector("[data-terminal]");

  function fill(text, vars) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
    });
  }
  function setState(state, text) {
    root.setAttribute("data-state", state);
    stateEl.setAttribute("data-state", state);
    stateEl.textContent = text;
  }

  // ---- the terminal -------------------------------------------------------------------
  var term = new Terminal({
    cursorBlink: true,
    disableStdin: true,
    scrollback: 5000,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    theme: { background: "#101214", foreground: "#e6e6e6", cursor: "#8ab4f8" },
  });
  var fit = new FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(termEl);

  // xterm sizes and colours its rows from <style> elements it writes itself. The panel's
  // Content-Security-Policy allows no inline style, so those elements stay inert: their text
  // is copied into a constructed style sheet instead, which the policy does not govern.
  var mirrored = null;
  function mirrorStyles() {
    if (!("adoptedStyleSheets" in document) || typeof CSSStyleSheet === "undefined") return;
    var text = "";
    var styles = termEl.querySelectorAll("style");
    for (var i = 0; i < styles.length; i++) text += styles[i].textContent + "\n";
    if (!mirrored) {
      mirrored = new CSSStyleSheet();
      document.adoptedStyleSheets = document.adoptedStyleSheets.concat([mirrored]);
    }
    mirrored.replaceSync(text);
  }
  mirrorStyles();
  new MutationObserver(mirrorStyles).observe(termEl, { subtree: true, childList: true, characterData: true });

  function refit() {
    try {
      fit.fit();
    } catch (e) {
      // Not laid out yet (a hidden tab): the next resize fits it.
    }
  }
  refit();
  window.addEventListener("resize", refit);

  var DIM = "\x1b[2m";
  var RESET = "\x1b[0m";
  var RED = "\x1b[31m";
  var GREEN = "\x1b[32m";
  var YELLOW = "\x1b[33m";
  var MAGENTA = "\x1b[35m";
  var CYAN = "\x1b[36m";

  // What a person reads, also kept in the log beside the terminal (screen readers, and the
  // last 500 lines to look back at without scrolling the terminal).
  function log(kind, text) {
    var item = document.createElement("li");
    item.className = kind;
    item.textContent = text;
    logEl.appendChild(item);
    while (logEl.children.length > 500) logEl.removeChild(logEl.firstChild);
  }

  // ---- the line editor ----------------------------------------------------------------
  // Modes: "off" (not connected, or a viewer), "line", "body" (after AT+CMGS=/AT+CMGW=),
  // "confirm" (waiting for y or n).
  var mode = "off";
  var buffer = "";
  var bodyLines = [];
  var bodyFor = null;
  var confirming = null;
  var history = [];
  var walk = 0;
  var mayType = false;
  var sent = {};
  var seq = 0;
  var PROMPTING = /^AT\+CMG[SW]=/i;

  function prompt() {
    if (mode === "off") return "";
    if (mode === "confirm") return YELLOW + "[y/n] " + RESET;
    if (mode === "body") return "> ";
    return GREEN + "\u276f" + RESET + " ";
  }
  function redraw() {
    term.write("\r\x1b[2K" + prompt() + buffer);
  }
  /** Output that arrives while someone types: written above the line being typed, which is drawn again. */
  function above(text) {
    term.write("\r\x1b[2K" + text.replace(/\r?\n/g, "\r\n") + "\r\n");
    redraw();
  }
  function notes(list, kind) {
    for (var i = 0; i < (list || []).length; i++) {
      above(DIM + "    \u21b3 " + list[i] + RESET);
      log(kind + " note", "\u21b3 " + list[i]);
    }
  }

  function remember(text) {
    if (history[history.length - 1] !== text) history.push(text);
    walk = history.length;
    showHistory();
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }
  function sendLine(text, body, confirm) {
    var id = "l" + ++seq;
    sent[id] = { text: text, body: body };
    var message = { type: "line", id: id, text: text };
    if (body !== undefined) message.body = body;
    if (confirm) message.confirm = true;
    send(message);
  }

  function enter() {
    if (mode === "body") {
      bodyLines.push(buffer);
      buffer = "";
      term.write("\r\n");
      redraw();
      return;
    }
    var text = buffer.trim();
    term.write("\r\n");
    buffer = "";
    if (text === "") return redraw();
    remember(text);
    log("sent", "\u276f " + text);
    if (PROMPTING.test(text)) {
      mode = "body";
      bodyFor = text;
      bodyLines = [];
      term.write(DIM + S.body + RESET + "\r\n");
      return redraw();
    }
    sendLine(text);
    redraw();
  }
  function endBody(keep) {
    var text = bodyFor;
    var body = bodyLines.concat([buffer]).join("\n");
    mode = "line";
    bodyFor = null;
    bodyLines = [];
    buffer = "";
    term.write("\r\n");
    if (keep) {
      log("sent", "> " + body);
      sendLine(text, body);
    } else {
      term.write(DIM + S.bodyDropped + RESET + "\r\n");
      log("info", S.bodyDropped);
    }
    redraw();
  }
  function answerConfirm(yes) {
    var line = confirming;
    confirming = null;
    mode = "line";
    term.write("\r\x1b[2K" + (yes ? "y" : DIM + S.confirmDropped + RESET) + "\r\n");
    if (yes) sendLine(line.text, line.body, true);
    else log("info", S.confirmDropped);
    redraw();
  }
  function walkHistory(step) {
    if (mode !== "line" || history.length === 0) return;
    walk = Math.max(0, Math.min(history.length, walk + step));
    buffer = walk === history.length ? "" : history[walk];
    redraw();
  }

  function key(k) {
    if (mode === "confirm") {
      if (k === "y" || k === "Y") answerConfirm(true);
      else if (k === "n" || k === "N" || k === "\x1b" || k === "\x03") answerConfirm(false);
      return;
    }
    if (k === "\x1b[A" || k === "\x1bOA") return walkHistory(-1);
    if (k === "\x1b[B" || k === "\x1bOB") return walkHistory(1);
    if (k === "\r") return enter();
    if (k === "\x7f" || k === "\b") {
      if (buffer.length) {
        buffer = buffer.slice(0, -1);
        redraw();
      }
      return;
    }
    if (k === "\x1a") return mode === "body" ? endBody(true) : undefined;
    if (k === "\x03" || k === "\x1b") {
      if (mode === "body") return endBody(false);
      buffer = "";
      term.write("^C\r\n");
      return redraw();
    }
    if (k === "\x15") {
      buffer = "";
      return redraw();
    }
    if (k.length === 1 && k >= " ") {
      buffer += k;
      term.write(k);
    }
  }
  // One key, a key's escape sequence, or a whole paste (its line breaks are Enter).
  term.onData(function (data) {
    if (mode === "off") return;
    var i = 0;
    while (i < data.length) {
      var c = data[i];
      if (c === "\x1b" && (data[i + 1] === "[" || data[i + 1] === "O")) {
        var j = i + 2;
        while (j < data.length && !/[A-Za-z~]/.test(data[j])) j++;
        key(data.slice(i, j + 1));
        i = j + 1;
      } else if (c === "\n" && data[i - 1] === "\r") {
        i++;
      } else {
        key(c === "\n" ? "\r" : c);
        i++;
      }
    }
  });

  /** A hot button or a history entry, typed into the line as if by hand. */
  function typeIn(text, run) {
    if (!mayType || mode !== "line") return;
    buffer = text;
    redraw();
    if (run) enter();
    term.focus();
  }

  // ---- the side panels ----------------------------------------------------------------
  var leaseEl = root.querySelector("[data-lease-state]");
  var breakButton = root.querySelector("[data-lease-break]");
  function showLease(lease) {
    root.setAttribute("data-lease-holder", lease ? lease.holder : "");
    // An admin may end someone else's lease (their own they release).
    if (breakButton) breakButton.hidden = !lease || lease.mine;
    if (!lease) return void (leaseEl.textContent = S.leaseNone);
    leaseEl.textContent = fill(lease.mine ? S.leaseMine : S.leaseHeld, { holder: lease.holder, until: new Date(lease.until).toLocaleString() });
  }
  var take = root.querySelector("[data-lease-take]");
  if (take) {
    // The button says how long: "Take for 30 minutes" as the number changes.
    take.elements.minutes.addEventListener("input", function () {
      var n = Number(take.elements.minutes.value);
      if (n > 0) take.querySelector("[data-lease-take-button]").textContent = fill(S.take, { n: n });
    });
    take.addEventListener("submit", function (e) {
      e.preventDefault();
      send({ type: "lease", minutes: Number(take.elements.minutes.value) });
    });
  }
  var release = root.querySelector("[data-lease-release]");
  if (release)
    release.addEventListener("click", function () {
      send({ type: "release" });
    });

  if (breakButton)
    breakButton.addEventListener("click", function () {
      send({ type: "break" });
    });

  var buttonsEl = root.querySelector("[data-buttons]");
  var buttonsForm = root.querySelector("[data-buttons-edit]");
  function showButtons(buttons) {
    buttonsEl.textContent = "";
    for (var i = 0; i < buttons.length; i++) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = buttons[i];
      b.setAttribute("data-command", buttons[i]);
      b.disabled = !mayType;
      buttonsEl.appendChild(b);
    }
    if (buttonsForm) buttonsForm.elements.buttons.value = buttons.join("\n");
  }
  buttonsEl.addEventListener("click", function (e) {
    var command = e.target.getAttribute && e.target.getAttribute("data-command");
    if (command) typeIn(command, true);
  });
  if (buttonsForm)
    buttonsForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var lines = buttonsForm.elements.buttons.value.split("\n").map(function (l) {
        return l.trim();
      });
      send({
        type: "buttons",
        buttons: lines.filter(function (l) {
          return l !== "";
        }),
      });
    });

  var searchEl = root.querySelector("[data-history-search]");
  var historyEl = root.querySelector("[data-history]");
  function showHistory() {
    var q = searchEl.value.trim().toLowerCase();
    var seen = {};
    var shown = 0;
    historyEl.textContent = "";
    for (var i = history.length - 1; i >= 0 && shown < 50; i--) {
      var line = history[i];
      if (seen[line] || (q && line.toLowerCase().indexOf(q) < 0)) continue;
      seen[line] = true;
      shown++;
      var item = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "linkish";
      b.textContent = line;
      b.setAttribute("data-line", line);
      b.disabled = !mayType;
      item.appendChild(b);
      historyEl.appendChild(item);
    }
    if (shown === 0) {
      var none = document.createElement("li");
      none.className = "note";
      none.textContent = S.noHistory;
      historyEl.appendChild(none);
    }
  }
  searchEl.addEventListener("input", showHistory);
  historyEl.addEventListener("click", function (e) {
    var line = e.target.getAttribute && e.target.getAttribute("data-line");
    if (line) typeIn(line, false);
  });

  root.querySelector("[data-export]").addEventListener("click", function () {
    send({ type: "transcript" });
  });
  function download(transcript) {
    var blob = new Blob([JSON.stringify(transcript, null, 2) + "\n"], { type: "application/json" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "console-" + device + "-" + modem + "-" + new Date().toISOString().replace(/[:.]/g, "-") + ".json";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () {
      URL.revokeObjectURL(a.href);
      a.remove();
    }, 1000);
  }

  // ---- the service's messages ---------------------------------------------------------
  function onHello(m) {
    mayType = m.mayType === true;
    history = (m.history || []).slice();
    walk = history.length;
    var where = m.modem;
    term.write(DIM + "# " + where.device + " #" + where.modem + " \u00b7 " + where.target + (where.iccid ? " \u00b7 " + where.iccid : "") + (where.number ? " \u00b7 " + where.number : "") + " \u00b7 " + where.host + RESET + "\r\n");
    setState("open", fill(mayType ? S.connected : S.watching, { user: m.user.name }));
    term.options.disableStdin = !mayType;
    root.setAttribute("data-may-type", String(mayType));
    showLease(m.lease);
    showButtons(m.buttons || []);
    showHistory();
    mode = mayType ? "line" : "off";
    buffer = "";
    redraw();
    if (mayType) term.focus();
  }
  function onReply(m) {
    for (var i = 0; i < m.lines.length; i++) {
      above(m.lines[i]);
      log("reply", m.lines[i]);
      notes(m.notes && m.notes[i], "reply");
    }
    above((m.ok ? GREEN : RED) + m.final + RESET + DIM + "  (" + m.ms + " ms)" + RESET);
    log(m.ok ? "final ok" : "final error", m.final + " (" + m.ms + " ms)");
    notes(m.finalNotes, "final");
    delete sent[m.id];
  }
  function onUrc(m) {
    above(CYAN + "[urc]" + RESET + " " + m.line);
    log("urc", "[urc] " + m.line);
    if (m.body !== null && m.body !== undefined) {
      above(CYAN + "[urc]" + RESET + " " + m.body);
      log("urc", "[urc] " + m.body);
    }
    notes(m.notes, "urc");
  }
  function onConfirm(m) {
    var line = sent[m.id] || { text: m.command };
    delete sent[m.id];
    if (!mayType) return;
    // A line typed after it is not lost: it waits in the buffer until the answer.
    above(YELLOW + "? " + m.command + ": " + m.reason + RESET);
    above(YELLOW + S.confirm + RESET);
    log("confirm", "? " + m.command + ": " + m.reason + " " + S.confirm);
    confirming = line;
    if (mode === "body") endBody(false);
    mode = "confirm";
    redraw();
  }
  var handlers = {
    hello: onHello,
    reply: onReply,
    urc: onUrc,
    confirm: onConfirm,
    failed: function (m) {
      delete sent[m.id];
      above(RED + "[" + S.failed + "] " + m.command + ": " + m.reason + RESET + DIM + "  (" + m.ms + " ms)" + RESET);
      log("failed", "[" + S.failed + "] " + m.command + ": " + m.reason);
    },
    warning: function (m) {
      above(YELLOW + "[" + S.warning + "] " + m.text + RESET);
      log("warning", "[" + S.warning + "] " + m.text);
    },
    refused: function (m) {
      if (m.id) delete sent[m.id];
      above(RED + "[" + S.refused + "] " + m.reason + RESET);
      log("refused", "[" + S.refused + "] " + m.reason);
    },
    info: function (m) {
      above(CYAN + "[" + S.info + "] " + m.text + RESET);
      log("info", "[" + S.info + "] " + m.text);
    },
    port: function (m) {
      above(MAGENTA + "[" + S.port + "] " + m.state + (m.detail ? ": " + m.detail : "") + RESET);
      log("port", "[" + S.port + "] " + m.state + (m.detail ? ": " + m.detail : ""));
    },
    lease: function (m) {
      showLease(m.lease);
    },
    buttons: function (m) {
      showButtons(m.buttons);
      var details = root.querySelector(".buttons-edit");
      if (details) details.open = false;
      above(DIM + S.buttonsSaved + RESET);
    },
    transcript: function (m) {
      download(m.transcript);
    },
    bye: function (m) {
      ended = true;
      mode = "off";
      above(RED + "[" + S.bye + "] " + m.reason + RESET);
      log("bye", "[" + S.bye + "] " + m.reason);
      setState("closed", S.closed + " " + m.reason);
    },
  };

  // ---- the socket ---------------------------------------------------------------------
  var socket = null;
  var ended = false;
  var greeted = false;
  function connect() {
    setState("connecting", S.connecting);
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + location.host + "/console/ws?device=" + encodeURIComponent(device) + "&modem=" + encodeURIComponent(modem));
    socket.onmessage = function (event) {
      var m;
      try {
        m = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (m.type === "hello") greeted = true;
      if (handlers[m.type]) handlers[m.type](m);
    };
    socket.onclose = function () {
      mode = "off";
      redraw();
      if (root.getAttribute("data-state") !== "closed") setState("closed", S.closed);
      // A session that was up and was not ended by the service (a restart, a dropped
      // network) is opened again; one refused or ended stays closed.
      if (greeted && !ended) {
        greeted = false;
        setTimeout(connect, 2000);
      }
    };
  }
  connect();

  // ---- many modems at once ------------------------------------------------------------
  var batch = document.querySelector("[data-batch]");
  if (batch) {
    var batchState = document.querySelector("[data-batch-state]");
    var table = document.querySelector("[data-batch-results]");
    var cell = function (row, text, className) {
      var td = document.createElement("td");
      td.textContent = text;
      if (className) td.className = className;
      row.appendChild(td);
    };
    batch.addEventListener("submit", function (e) {
      e.preventDefault();
      var modems = [];
      var boxes = batch.querySelectorAll("input[name=modem]:checked");
      for (var i = 0; i < boxes.length; i++) modems.push(boxes[i].value);
      if (modems.length === 0) return void (batchState.textContent = S.batchNone);
      batchState.textContent = S.batchRunning;
      batch.setAttribute("data-running", "true");
      fetch("/console/batch", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", accept: "application/json", "x-csrf-token": csrf },
        body: JSON.stringify({ command: batch.elements.command.value.trim(), modems: modems }),
      })
        .then(function (res) {
          return res.text().then(function (text) {
            var json = null;
            try {
              json = JSON.parse(text);
            } catch (e) {
              // A refusal may come as text.
            }
            if (!res.ok || !json || !json.results) throw new Error((json && (json.message || json.reason || json.error)) || text || String(res.status));
            return json.results;
          });
        })
        .then(function (results) {
          var body = table.tBodies[0];
          body.textContent = "";
          for (var i = 0; i < results.length; i++) {
            var r = results[i];
            var row = document.createElement("tr");
            row.setAttribute("data-modem", r.device + "/" + r.modem);
            row.setAttribute("data-ok", String(r.ok));
            var th = document.createElement("th");
            th.scope = "row";
            th.textContent = r.device + " #" + r.modem;
            row.appendChild(th);
            cell(row, r.ok ? S.batchOk : S.batchError, r.ok ? "" : "bad");
            cell(row, r.final || (r.error && typeof r.error === "object" ? r.error.name || r.error.reason || JSON.stringify(r.error) : r.error) || "");
            cell(row, (r.lines || []).join("\n"), "reply-lines");
            cell(row, r.ms === null || r.ms === undefined ? "" : String(r.ms));
            body.appendChild(row);
          }
          table.hidden = false;
          batchState.textContent = "";
        })
        .catch(function (error) {
          batchState.textContent = fill(S.batchFailed, { reason: error.message });
        })
        .then(function () {
          batch.removeAttribute("data-running");
        });
    });
  }
})();
