// Multi-file upload with drag and drop and a progress bar per file (no inline script: strict CSP).
// Without this script the form is a plain multi-file form; with it, each file is checked here (type
// and size, again on the server) and sent on its own XMLHttpRequest so its progress can be shown.
(function () {
  "use strict";

  function extensionOf(name) {
    var dot = name.lastIndexOf(".");
    return dot > 0 ? name.slice(dot).toLowerCase() : "";
  }

  function enhance(form) {
    var zone = form.querySelector(".js-upload-zone");
    var input = form.querySelector('input[type="file"]');
    var list = form.querySelector(".js-upload-progress");
    if (!zone || !input || !list || !window.FormData || !window.XMLHttpRequest) {
      return;
    }
    var drop = zone.querySelector(".js-upload-drop");
    var maxBytes = parseInt(zone.dataset.maxBytes || "0", 10);
    var allowed = (zone.dataset.allowed || "").split(",").filter(Boolean);
    var dropped = null;

    function problem(file) {
      if (allowed.length && allowed.indexOf(extensionOf(file.name)) === -1) {
        return zone.dataset.msgType;
      }
      if (file.size === 0) {
        return zone.dataset.msgEmpty;
      }
      if (maxBytes && file.size > maxBytes) {
        return zone.dataset.msgTooLarge;
      }
      return "";
    }

    function row(file) {
      var item = document.createElement("li");
      item.className = "upload-item";
      var name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = file.name;
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", file.name);
      var state = document.createElement("span");
      state.className = "upload-state";
      item.appendChild(name);
      item.appendChild(bar);
      item.appendChild(state);
      list.appendChild(item);
      return { item: item, bar: bar, state: state };
    }

    function fail(parts, text) {
      parts.item.classList.add("upload-failed");
      parts.state.textContent = text;
    }

    function send(file, parts, done) {
      var data = new FormData(form);
      data.delete("file");
      data.append("file", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          parts.bar.value = Math.round((event.loaded / event.total) * 100);
        }
      });
      xhr.addEventListener("load", function () {
        var answer = null;
        try {
          answer = JSON.parse(xhr.responseText);
        } catch (error) {
          answer = null;
        }
        if (xhr.status === 200 && answer && answer.ok) {
          parts.bar.value = 100;
          parts.item.classList.add("upload-done");
          parts.state.textContent = answer.documents.map(function (d) { return d.status_label; }).join(", ");
          done(true);
        } else {
          fail(parts, answer && answer.errors ? answer.errors.join(" ") : zone.dataset.msgFailed);
          done(false);
        }
      });
      xhr.addEventListener("error", function () {
        fail(parts, zone.dataset.msgNetwork);
        done(false);
      });
      xhr.send(data);
    }

    function refresh() {
      var selector = form.dataset.refresh;
      var target = selector ? document.querySelector(selector) : null;
      if (!target) {
        return;
      }
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector(selector);
          if (fresh) {
            target.replaceWith(fresh);
          }
        });
    }

    function upload(files) {
      var pending = 0;
      var succeeded = 0;
      Array.prototype.forEach.call(files, function (file) {
        var parts = row(file);
        var why = problem(file);
        if (why) {
          fail(parts, file.name + " " + why);
          return;
        }
        pending += 1;
        send(file, parts, function (ok) {
          pending -= 1;
          if (ok) {
            succeeded += 1;
          }
          if (pending === 0) {
            form.classList.add("upload-finished");
            if (succeeded) {
              refresh();
            }
          }
        });
      });
      input.value = "";
      input.required = false;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var files = dropped || input.files;
      dropped = null;
      if (files && files.length) {
        list.textContent = "";
        form.classList.remove("upload-finished");
        upload(files);
      }
    });
    if (drop) {
      ["dragenter", "dragover"].forEach(function (name) {
        drop.addEventListener(name, function (event) {
          event.preventDefault();
          drop.classList.add("upload-drop-active");
        });
      });
      ["dragleave", "drop"].forEach(function (name) {
        drop.addEventListener(name, function (event) {
          event.preventDefault();
          drop.classList.remove("upload-drop-active");
        });
      });
      // Dropped files wait for the form's own button, like chosen ones (year and kind first).
      drop.addEventListener("drop", function (event) {
        if (event.dataTransfer && event.dataTransfer.files.length) {
          dropped = event.dataTransfer.files;
          try {
            input.files = event.dataTransfer.files;
            dropped = null;
          } catch (error) {
            input.required = false;
          }
        }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form.js-upload-form"), enhance);
  });
})();
