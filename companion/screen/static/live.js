// The session page, live: Server-Sent Events bring each change; buttons post without reloading.
(function () {
  "use strict";
  var root = document.getElementById("session");
  if (!root) { return; }
  var token = root.dataset.token;
  var byId = function (id) { return document.getElementById(id); };
  var words = { pain: "pain", effort: "effort", hurt_level: "pain" };  // the scale's words, by stage
  // the page's own words (ui.toml [screen.live]), given by the page in data-words
  var say = JSON.parse(root.dataset.words || "{}");
  var fill = function (text, values) {
    return (text || "").replace(/\{(\w+)\}/g, function (all, name) {
      return name in values ? String(values[name]) : all;
    });
  };

  var last = null;

  function show(s) {
    last = s;
    root.dataset.version = s.version;
    root.dataset.asked = s.asked || "";
    byId("said").textContent = s.said || "";
    byId("caption").textContent = s.caption || (s.running ? "" : say.ready);
    byId("exercise-name").textContent = s.exercise_name || "";
    var counter = "";
    if (s.sets) {
      counter = fill(s.timed ? say.counter_seconds : say.counter_reps,
        { set: s.set_no, sets: s.sets, rep: s.rep, reps: s.reps });
    }
    byId("counter").textContent = counter;
    var pic = byId("picture");
    if (s.exercise) {
      var src = "/pictures/" + s.exercise + ".svg";
      if (pic.getAttribute("src") !== src) { pic.setAttribute("src", src); }
      pic.alt = fill(say.picture_alt, { name: s.exercise_name });
      pic.hidden = false;
    } else { pic.hidden = true; }
    byId("day").value = s.day_done;
    var reminder = s.reminder && !s.running ? s.reminder : null;
    byId("reminder").hidden = !reminder;
    byId("reminder-text").textContent = reminder ? reminder.text : "";
    document.querySelectorAll("#buttons form").forEach(function (f) {
      var c = f.dataset.command;
      f.hidden = !(s.commands.indexOf(c) >= 0 || (c === "start" && !s.running && !reminder));
    });
    byId("scale").hidden = s.commands.indexOf("number") < 0;
    var kind = words[s.stage] || "pain";
    document.querySelectorAll("#scale .w").forEach(function (w) { w.textContent = w.dataset[kind]; });
    byId("status").textContent = s.ended ? say.ended : "";
  }

  document.querySelectorAll("form.press, form.later").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var data = new FormData(form);
      if (ev.submitter && ev.submitter.name) { data.set(ev.submitter.name, ev.submitter.value); }
      data.set("asked", root.dataset.asked || "");  // the question shown now: never the next one
      data.set("token", token);
      fetch(form.getAttribute("action"), { method: "POST", body: data, headers: { "X-Companion-Token": token } })
        .then(function (r) { return r.json(); })
        .then(function (j) { if (j.message) { byId("status").textContent = j.message; } })
        .catch(function () { byId("status").textContent = say.not_answering; });
    });
  });

  var source = new EventSource("/events");
  // a page that has lost the companion says so at once (its next state clears it); after a
  // session has ended (`companion session --screen` stops its server) it keeps saying that
  source.onerror = function () {
    if (last && last.ended && !last.running) { return; }
    byId("status").textContent = say.offline;
  };
  source.onmessage = function (ev) {
    var s = JSON.parse(ev.data);
    if (s.token) { token = s.token; }  // a new run of the server (the page reconnected): its own
    show(s);
  };
})();
