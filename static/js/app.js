// FirmPortal's own script: no inline handlers anywhere (strict CSP), so behaviour hangs on classes.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.classList.contains("js-autosubmit")) {
      target.form.submit();
    }
  });

  // Idle warning: shown shortly before the server would end the session.
  var body = document.body;
  var timeout = parseInt(body.dataset.idleTimeout || "0", 10);
  var warning = parseInt(body.dataset.idleWarning || "120", 10);
  if (timeout > 0) {
    var panel = document.getElementById("idle-warning");
    var countdown = panel.querySelector(".js-idle-countdown");
    var lastActivity = Date.now();
    var csrf = (document.cookie.match(/(?:^|; )(?:__Host-)?fp_csrf=([^;]+)/) || [])[1];
    var headers = JSON.parse(body.getAttribute("hx-headers") || "{}");

    var stay = function () {
      fetch(body.dataset.keepaliveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": headers["X-CSRFToken"] || csrf || "" },
      }).then(function (response) {
        if (response.status === 204) {
          lastActivity = Date.now();
          panel.hidden = true;
        } else {
          window.location.assign(body.dataset.loginUrl);
        }
      });
    };
    panel.querySelector(".js-stay-signed-in").addEventListener("click", stay);

    window.setInterval(function () {
      var left = Math.round(timeout - (Date.now() - lastActivity) / 1000);
      if (left <= 0) {
        window.location.assign(body.dataset.loginUrl);
      } else if (left <= warning) {
        panel.hidden = false;
        var minutes = Math.floor(left / 60);
        var seconds = ("0" + (left % 60)).slice(-2);
        countdown.textContent = minutes + ":" + seconds;
      }
    }, 1000);
  }

  // A form answered 400 (bad input, e.g. a reveal without a purpose) carries its error messages:
  // swap it in place like a 200, instead of htmx's default of dropping error responses.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Progress bars for long work: any element with data-progress-url polls via htmx markup itself;
  // this only keeps the aria value in step with the width.
  document.addEventListener("htmx:afterSwap", function (event) {
    var bars = event.target.querySelectorAll("progress[data-value]");
    bars.forEach(function (bar) { bar.value = parseFloat(bar.dataset.value); });
  });
})();
