// The criteria picker: a reference box appears under each ticked criterion, and the search box
// narrows the list by number or words. Without JavaScript every box is simply shown.
(function () {
  "use strict";
  var form = document.getElementById("criteria-picker");
  if (!form) return;
  var search = document.getElementById("criteria-search");
  var searchCount = document.getElementById("criteria-search-count");
  var tickedCount = document.getElementById("ticked-count");
  var empty = form.querySelector(".picker-empty");
  var criteria = Array.prototype.slice.call(form.querySelectorAll(".picker-criterion"));

  function sync(criterion) {
    var box = criterion.querySelector("input[type=checkbox]");
    var reference = criterion.querySelector(".reference");
    reference.hidden = !box.checked;
    criterion.classList.toggle("ticked", box.checked);
    box.setAttribute("aria-expanded", String(box.checked));
  }

  function count() {
    var n = form.querySelectorAll("input[name=criteria]:checked").length;
    tickedCount.textContent = n + " criteri" + (n === 1 ? "on" : "a") + " ticked";
  }

  criteria.forEach(function (criterion) {
    var box = criterion.querySelector("input[type=checkbox]");
    sync(criterion);
    box.addEventListener("change", function () {
      sync(criterion);
      count();
      if (box.checked) criterion.querySelector("textarea").focus();
    });
  });
  count();

  function filter() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    criteria.forEach(function (criterion) {
      var text = criterion.dataset.search;
      var match = words.every(function (word) { return text.indexOf(word) !== -1; });
      criterion.hidden = !match;
      if (match) shown++;
    });
    form.querySelectorAll(".picker-outcome, .picker-unit").forEach(function (group) {
      group.hidden = !group.querySelector(".picker-criterion:not([hidden])");
    });
    empty.hidden = shown !== 0;
    searchCount.textContent = words.length ? shown + " matching" : "";
  }
  search.addEventListener("input", filter);
  // Words typed before this script ran (a slow connection), or restored by the browser on
  // "Back", would otherwise leave the whole list showing under a filled-in search box.
  if (search.value) filter();
})();
