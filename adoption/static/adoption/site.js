// Progressive enhancement only: every page works without this file.
// - contribution form: show the chosen adopter section, suggest organizations as you type, show only the
//   chosen family's checkpoints, add and remove source rows in place;
// - map page: redraw the results when a setting changes, without reloading the page;
// - every form answered with errors: focus the summary of its errors.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function adopterSections(form) {
    var radios = form.querySelectorAll('input[name="adopter_choice"]');
    if (!radios.length) { return; }
    function update() {
      var chosen = form.querySelector('input[name="adopter_choice"]:checked');
      var value = chosen ? chosen.value : "existing";
      form.querySelectorAll("[data-adopter-section]").forEach(function (section) {
        section.hidden = section.getAttribute("data-adopter-section") !== value;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }

  function adopterSearch(form) {
    var input = form.querySelector("[data-adopter-search]");
    var list = document.getElementById("adopter-options");
    if (!input || !list || !window.fetch) { return; }
    var timer = null;
    var known = {};
    list.querySelectorAll("option").forEach(function (option) { known[option.value] = true; });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var query = input.value.trim();
      if (query.length < 2) { return; }
      timer = setTimeout(function () {
        fetch("/contribute/adopters.json?q=" + encodeURIComponent(query), {headers: {"Accept": "application/json"}})
          .then(function (response) { return response.ok ? response.json() : {results: []}; })
          .then(function (data) {
            data.results.forEach(function (org) {
              if (known[org.name]) { return; }
              known[org.name] = true;
              var option = document.createElement("option");
              option.value = org.name;
              option.label = org.country ? org.name + " (" + org.country + ")" : org.name;
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are a convenience; typing the name still works */ });
      }, 200);
    });
  }

  function checkpointFilter(form) {
    var family = form.querySelector('select[name="family"]');
    var checkpoint = form.querySelector('select[name="checkpoint"]');
    if (!family || !checkpoint) { return; }
    function update() {
      var slug = family.value;
      checkpoint.querySelectorAll("option[data-family]").forEach(function (option) {
        var other = slug && option.getAttribute("data-family") !== slug;
        option.hidden = other;
        option.disabled = other;
        if (other && option.selected) { checkpoint.value = ""; }
      });
      checkpoint.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
    }
    family.addEventListener("change", update);
    update();
  }

  function evidenceRows(form) {
    var button = document.getElementById("add-source");
    var template = document.getElementById("evidence-template");
    var rows = document.getElementById("evidence-rows");
    var total = form.querySelector('input[name="evidence-TOTAL_FORMS"]');
    var max = form.querySelector('input[name="evidence-MAX_NUM_FORMS"]');
    if (!button || !template || !rows || !total) { return; }
    function markRemoved(box) {
      var row = box.closest("[data-evidence-row]");
      if (row) { row.classList.toggle("removed", box.checked); }
    }
    form.addEventListener("change", function (event) {
      if (event.target.matches("[data-remove-row]")) { markRemoved(event.target); }
    });
    form.querySelectorAll("[data-remove-row]").forEach(markRemoved);
    button.addEventListener("click", function (event) {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) { return; }  // let the server explain the limit
      event.preventDefault();
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__num__/g, String(index + 1));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var row = holder.firstElementChild;
      rows.appendChild(row);
      total.value = String(index + 1);
      var first = row.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    });
  }

  function mapForm() {
    var form = document.querySelector("[data-map-form]");
    var results = document.getElementById("map-results");
    if (!form || !results || !window.fetch || !window.URLSearchParams) { return; }
    var pending = null;
    function refresh() {
      var params = new URLSearchParams(new FormData(form));
      Array.from(params.keys()).forEach(function (key) { if (!params.get(key)) { params.delete(key); } });
      var url = form.action + (params.toString() ? "?" + params.toString() : "");
      if (pending) { pending.abort(); }
      pending = new AbortController();
      results.classList.add("map-loading");
      fetch(url, {headers: {"X-Map-Partial": "1"}, signal: pending.signal})
        .then(function (response) {
          if (!response.ok) { throw new Error("status " + response.status); }
          return response.text();
        })
        .then(function (html) {
          results.innerHTML = html;
          results.classList.remove("map-loading");
          history.replaceState(null, "", url);
        })
        .catch(function (error) {
          if (error.name === "AbortError") { return; }
          form.submit();  // let the server show the error messages at the fields
        });
    }
    form.addEventListener("change", function (event) {
      if (event.target.type === "range") { return; }  // the time slider has its own handler below
      // The colour choices depend on the split: reload the whole page to get the new ones.
      if (event.target.name === "split") { form.submit(); } else { refresh(); }
    });
    timeSlider(form, refresh);
  }

  // The slider moves the `until` field over the months since the first start date: the map as it grew.
  // Without this script the slider stays hidden and the date fields work alone.
  function timeSlider(form, refresh) {
    var box = form.querySelector("[data-time-slider]");
    var until = form.elements.until;
    if (!box || !until) { return; }
    var range = box.querySelector("input[type=range]");
    var output = box.querySelector("output");
    var play = box.querySelector("[data-time-play]");
    var first = box.dataset.first.split("-").map(Number);
    // The words come translated from the page (data-* attributes): this file has no catalogue.
    var words = {all: range.dataset.allDates || "all dates", play: play.dataset.play || "Play",
                 pause: play.dataset.pause || "Pause"};
    var timer = null;
    function month(step) {
      var index = first[0] * 12 + first[1] - 1 + step;
      return Math.floor(index / 12) + "-" + String(index % 12 + 1).padStart(2, "0");
    }
    function show() {
      var atEnd = Number(range.value) === Number(range.max);
      output.textContent = atEnd ? words.all : month(Number(range.value));
      return atEnd ? "" : month(Number(range.value));
    }
    function apply() { until.value = show(); refresh(); }
    function stop() { clearInterval(timer); timer = null; play.textContent = words.play; }
    box.hidden = false;
    range.addEventListener("input", show);
    range.addEventListener("change", apply);
    until.addEventListener("change", function () { stop(); });
    play.addEventListener("click", function () {
      if (timer) { stop(); return; }
      if (Number(range.value) === Number(range.max)) { range.value = 0; }
      play.textContent = words.pause;
      apply();
      timer = setInterval(function () {
        if (Number(range.value) >= Number(range.max)) { stop(); return; }
        range.value = Number(range.value) + 1;
        apply();
      }, 800);
    });
  }

  // A form answered with errors: focus their summary (a role=alert box), so a screen reader reads it first
  // and the keyboard starts from there; each field names its own error (aria-invalid, aria-describedby).
  function focusErrorSummary() {
    var summary = document.querySelector("main .notice.error[role=alert], main .form-errors[role=alert]");
    if (!summary) { return; }
    summary.tabIndex = -1;
    summary.focus();
  }

  onReady(function () {
    focusErrorSummary();
    var form = document.getElementById("contribute-form");
    if (form) {
      adopterSections(form);
      adopterSearch(form);
      checkpointFilter(form);
      evidenceRows(form);
    }
    mapForm();
  });
})();
