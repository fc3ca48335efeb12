// Evidence uploads: files chosen or dropped are sent one request each, in turn, with a
// progress bar per file. The server checks every file (type from its bytes, size, name) and
// answers with a message and the refreshed file list. Without JavaScript the form still works
// as a plain upload of one file.
(function () {
  "use strict";
  var zone = document.getElementById("upload-zone");
  if (!zone) return;
  var input = zone.querySelector("input[type=file]");
  var list = document.getElementById("upload-progress");
  var token = zone.querySelector("input[name=csrfmiddlewaretoken]").value;
  var maxBytes = parseInt(zone.dataset.maxBytes, 10);
  var queue = [];
  var busy = false;

  function sizeText(bytes) {
    var units = ["bytes", "KB", "MB", "GB"];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return (i ? bytes.toFixed(1) : bytes) + " " + units[i];
  }

  function row(file) {
    var li = document.createElement("li");
    li.className = "upload-row mb-2";
    var name = document.createElement("div");
    name.className = "small text-break";
    name.textContent = file.name + " (" + sizeText(file.size) + ")";
    var bar = document.createElement("div");
    bar.className = "progress";
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", "Uploading " + file.name);
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.setAttribute("aria-valuenow", "0");
    var fill = document.createElement("div");
    fill.className = "progress-bar";
    fill.style.width = "0%";
    bar.appendChild(fill);
    var status = document.createElement("div");
    status.className = "small upload-status";
    li.append(name, bar, status);
    list.appendChild(li);
    return { li: li, bar: bar, fill: fill, status: status };
  }

  function finish(ui, ok, text) {
    ui.bar.remove();
    ui.status.textContent = text;
    ui.status.className = "small upload-status " + (ok ? "text-success" : "text-danger");
    busy = false;
    next();
  }

  function send(file, ui) {
    var form = new FormData();
    form.append("csrfmiddlewaretoken", token);
    form.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", zone.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", token);
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      var percent = Math.round((100 * event.loaded) / event.total);
      ui.fill.style.width = percent + "%";
      ui.bar.setAttribute("aria-valuenow", String(percent));
      ui.status.textContent = percent < 100 ? percent + "% sent" : "Checking the file…";
    });
    xhr.addEventListener("load", function () {
      var answer;
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
      if (!answer) {
        finish(ui, false, "The server did not accept the upload (" + xhr.status + "). Nothing was stored; try again.");
        return;
      }
      if (answer.files_html) {
        document.getElementById("file-list").outerHTML = answer.files_html;
      }
      finish(ui, answer.ok, answer.messages.join(" "));
    });
    xhr.addEventListener("error", function () {
      finish(ui, false, "The connection dropped. Nothing was stored for this file; try again.");
    });
    xhr.send(form);
  }

  function next() {
    if (busy || !queue.length) return;
    var job = queue.shift();
    busy = true;
    send(job.file, job.ui);
  }

  function add(files) {
    Array.prototype.forEach.call(files, function (file) {
      var ui = row(file);
      if (file.size > maxBytes) {
        ui.bar.remove();
        ui.status.textContent = "Larger than " + sizeText(maxBytes) + ", the limit per file: not sent.";
        ui.status.className = "small upload-status text-danger";
        return;
      }
      ui.status.textContent = "Waiting…";
      queue.push({ file: file, ui: ui });
    });
    next();
  }

  function addPicked() {
    add(input.files);
    input.value = "";
  }
  input.addEventListener("change", addPicked);
  // Files picked before this script ran (a slow connection) fired their "change" too early.
  if (input.files.length) addPicked();
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    add(event.dataTransfer.files);
  });
})();
