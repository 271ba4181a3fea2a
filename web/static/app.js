// gongkai review: keyboard moves and decisions (no framework, no build step).
// Queue: j/k move, Enter opens, c confirm, d dismiss (reason dialog: 1-4), m needs more info.
// Finding page: j/k next/previous finding, c/d/m decide, u back to the queue.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var toast = document.getElementById("toast");

  function say(text, bad) {
    if (!toast) return;
    toast.textContent = text;
    toast.className = bad ? "show bad" : "show";
    clearTimeout(say.timer);
    say.timer = setTimeout(function () { toast.className = ""; }, 3500);
  }

  function typing(ev) {
    var t = ev.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  function decide(id, action, reason, note) {
    return fetch("/api/findings/" + encodeURIComponent(id) + "/decision", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json"},
      body: JSON.stringify({action: action, reason: reason || null, note: note || ""})
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { throw new Error((data.error && data.error.message) || r.statusText); }
        say(toast.dataset.saved + " · " + data.review.state);
        return data;
      });
    }).catch(function (err) { say(err.message, true); throw err; });
  }

  function askReason() {
    var dlg = document.getElementById("dismiss-dialog");
    if (!dlg) return Promise.reject(new Error("read-only"));
    return new Promise(function (resolve, reject) {
      var form = document.getElementById("dismiss-form");
      function keys(ev) {
        var n = parseInt(ev.key, 10);
        var radios = form.querySelectorAll('input[name="reason"]');
        if (n >= 1 && n <= radios.length && ev.target.tagName !== "TEXTAREA") { radios[n - 1].checked = true; ev.preventDefault(); }
      }
      function done(ok) {
        dlg.removeEventListener("keydown", keys);
        form.onsubmit = null;
        document.getElementById("dismiss-cancel").onclick = null;
        dlg.close();
        if (!ok) { reject(new Error("cancelled")); return; }
        var picked = form.querySelector('input[name="reason"]:checked');
        resolve({reason: picked ? picked.value : "other", note: form.note.value});
        form.note.value = "";
      }
      dlg.addEventListener("keydown", keys);
      form.onsubmit = function (ev) { ev.preventDefault(); done(true); };
      document.getElementById("dismiss-cancel").onclick = function () { done(false); };
      dlg.showModal();
      var first = form.querySelector('input[name="reason"]:checked');
      if (first) first.focus();
    });
  }

  function decideWith(id, key) {
    var action = {c: "confirm", d: "dismiss", m: "needs_info"}[key];
    if (action === "dismiss") {
      return askReason().then(function (r) { return decide(id, action, r.reason, r.note); });
    }
    return decide(id, action, null, "");
  }

  // ---------------------------------------------------------------- queue page
  function queuePage() {
    var rows = function () { return Array.prototype.slice.call(document.querySelectorAll("tr.finding-row")); };
    var wanted = new URLSearchParams(location.search).getAll("state");
    if (!wanted.length) wanted = ["open"];
    var at = 0;
    function select(i) {
      var rs = rows();
      if (!rs.length) return;
      at = Math.max(0, Math.min(i, rs.length - 1));
      rs.forEach(function (r, j) { r.classList.toggle("selected", j === at); });
      rs[at].focus({preventScroll: true});
      rs[at].scrollIntoView({block: "nearest"});
    }
    rows().forEach(function (r, j) { r.addEventListener("click", function (ev) { if (ev.target.tagName !== "A") select(j); }); });
    select(0);
    document.addEventListener("keydown", function (ev) {
      if (typing(ev) || ev.ctrlKey || ev.metaKey || ev.altKey || document.querySelector("dialog[open]")) return;
      var rs = rows(), row = rs[at];
      if (ev.key === "j") { select(at + 1); ev.preventDefault(); }
      else if (ev.key === "k") { select(at - 1); ev.preventDefault(); }
      else if (ev.key === "Enter" && row) { location.href = row.dataset.href; ev.preventDefault(); }
      else if ((ev.key === "c" || ev.key === "d" || ev.key === "m") && row) {
        ev.preventDefault();
        decideWith(row.dataset.id, ev.key).then(function (data) {
          var state = data.review.state;
          if (wanted.indexOf(state) < 0) {
            row.remove();
            var total = document.getElementById("total");
            if (total) total.textContent = Math.max(0, parseInt(total.textContent, 10) - 1);
            select(at);
          } else {
            var badge = row.querySelector(".state .badge");
            badge.className = "badge state-" + state; badge.textContent = state;
          }
        }, function () {});
      }
    });
  }

  // ---------------------------------------------------------------- finding page
  function findingPage(art) {
    function trailRow(e) {
      var tr = document.createElement("tr");
      [e.at ? e.at.replace("T", " ").slice(0, 19) : "", e.by, e.action, e.reason || "", e.note || "", e.rule || ""]
        .forEach(function (v) { var td = document.createElement("td"); td.textContent = v; tr.appendChild(td); });
      return tr;
    }
    function show(data) {
      var badge = document.getElementById("review-state");
      badge.className = "badge state-" + data.review.state;
      badge.textContent = data.review.state;
      var body = document.querySelector("#trail tbody");
      body.textContent = "";
      data.trail.forEach(function (e) { body.appendChild(trailRow(e)); });
    }
    document.addEventListener("keydown", function (ev) {
      if (typing(ev) || ev.ctrlKey || ev.metaKey || ev.altKey || document.querySelector("dialog[open]")) return;
      if (ev.key === "j" && art.dataset.next) { location.href = art.dataset.next; }
      else if (ev.key === "k" && art.dataset.prev) { location.href = art.dataset.prev; }
      else if (ev.key === "u") { location.href = art.dataset.queue; }
      else if (ev.key === "c" || ev.key === "d" || ev.key === "m") {
        ev.preventDefault();
        decideWith(art.dataset.id, ev.key).then(show, function () {});
      }
    });
  }

  document.querySelectorAll("[data-confirm]").forEach(function (b) {
    b.addEventListener("click", function (ev) { if (!confirm(b.dataset.confirm)) ev.preventDefault(); });
  });
  if (document.body.classList.contains("page-queue")) queuePage();
  var art = document.getElementById("finding");
  if (art) findingPage(art);
})();
