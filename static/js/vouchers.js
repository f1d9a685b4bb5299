// Voucher entry (记账凭证): keyboard-first line entry with running totals. No inline handlers (strict CSP).
(function () {
  "use strict";

  var form = document.querySelector(".js-voucher-entry");
  if (!form) {
    return;
  }
  var body = form.querySelector(".js-lines");

  // Amounts in fen (integers), so the totals are exact.
  function toFen(text) {
    var clean = (text || "").replace(/,/g, "").trim();
    if (!/^-?\d+(\.\d{0,2})?$/.test(clean)) {
      return clean === "" ? 0 : null;
    }
    var negative = clean.charAt(0) === "-";
    var parts = clean.replace("-", "").split(".");
    var fen = parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
    return negative ? -fen : fen;
  }

  function fmt(fen) {
    var negative = fen < 0;
    var abs = Math.abs(fen);
    var yuan = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + yuan + "." + ("0" + (abs % 100)).slice(-2);
  }

  function totals() {
    var debit = 0;
    var credit = 0;
    var bad = false;
    body.querySelectorAll(".js-line").forEach(function (row) {
      var d = toFen(row.querySelector(".js-debit").value);
      var c = toFen(row.querySelector(".js-credit").value);
      row.querySelector(".js-debit").classList.toggle("invalid", d === null);
      row.querySelector(".js-credit").classList.toggle("invalid", c === null);
      if (d === null || c === null) {
        bad = true;
        return;
      }
      debit += d;
      credit += c;
    });
    form.querySelector(".js-debit-total").textContent = fmt(debit);
    form.querySelector(".js-credit-total").textContent = fmt(credit);
    var difference = form.querySelector(".js-difference");
    difference.textContent = bad ? "?" : fmt(debit - credit);
    difference.classList.toggle("unbalanced", bad || debit !== credit);
    return { debit: debit, credit: credit };
  }

  function addLine() {
    var rows = body.querySelectorAll(".js-line");
    var copy = rows[rows.length - 1].cloneNode(true);
    copy.querySelectorAll("input").forEach(function (input) {
      input.value = "";
      input.classList.remove("invalid");
    });
    copy.querySelector(".account-results").innerHTML = "";
    body.appendChild(copy);
    if (window.htmx) {
      window.htmx.process(copy);
    }
    return copy;
  }

  form.querySelector(".js-add-line").addEventListener("click", function () {
    addLine().querySelector("input").focus();
  });

  form.addEventListener("input", function (event) {
    var target = event.target;
    // A line has a debit or a credit, never both: typing one clears the other.
    if (target.classList.contains("js-debit") && target.value) {
      target.closest(".js-line").querySelector(".js-credit").value = "";
    } else if (target.classList.contains("js-credit") && target.value) {
      target.closest(".js-line").querySelector(".js-debit").value = "";
    }
    totals();
  });

  function fields() {
    return Array.prototype.slice.call(form.querySelectorAll(".js-lines input"));
  }

  function pick(option) {
    var cell = option.closest(".account-cell");
    cell.querySelector(".js-account").value = option.dataset.code;
    cell.querySelector(".account-results").innerHTML = "";
    var next = fields()[fields().indexOf(cell.querySelector(".js-account")) + 1];
    if (next) {
      next.focus();
    }
  }

  form.addEventListener("click", function (event) {
    var option = event.target.closest(".js-account-option");
    if (option) {
      pick(option);
    }
  });

  // The search results belong to the account field being typed in: they close when focus leaves
  // that cell, on Escape, and when results arrive after the person has already moved on.
  function closeResults(cell) {
    var results = cell && cell.querySelector(".account-results");
    if (results) {
      results.innerHTML = "";
    }
  }

  form.addEventListener("focusout", function (event) {
    var cell = event.target.closest && event.target.closest(".account-cell");
    if (cell && !(event.relatedTarget && cell.contains(event.relatedTarget))) {
      closeResults(cell);
    }
  });

  // An empty account field asks for nothing: tabbing through a blank line must not open a list of
  // every account over the buttons below (a click meant for "save" would pick an account).
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var field = event.detail && event.detail.elt;
    if (field && field.classList && field.classList.contains("js-account") && form.contains(field) && !field.value.trim()) {
      event.preventDefault();
      closeResults(field.closest(".account-cell"));
    }
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var cell = event.target.closest && event.target.closest(".account-cell");
    if (cell && form.contains(cell) && !cell.contains(document.activeElement)) {
      closeResults(cell);
    }
  });

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Escape" && target.closest && target.closest(".account-cell")) {
      var cell = target.closest(".account-cell");
      closeResults(cell);
      cell.querySelector(".js-account").focus();
      return;
    }
    if (target.classList.contains("js-account-option")) {
      if (event.key === "ArrowDown" && target.nextElementSibling) {
        event.preventDefault();
        target.nextElementSibling.focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        (target.previousElementSibling || target.closest(".account-cell").querySelector(".js-account")).focus();
      }
      return;
    }
    if (!(target instanceof HTMLInputElement) || !target.closest(".js-lines")) {
      return;
    }
    if (target.classList.contains("js-account") && event.key === "ArrowDown") {
      var first = target.closest(".account-cell").querySelector(".js-account-option");
      if (first) {
        event.preventDefault();
        first.focus();
      }
      return;
    }
    // "=" in an amount fills the difference that balances the voucher.
    if (event.key === "=" && (target.classList.contains("js-debit") || target.classList.contains("js-credit"))) {
      event.preventDefault();
      target.value = "";
      var sums = totals();
      var gap = target.classList.contains("js-debit") ? sums.credit - sums.debit : sums.debit - sums.credit;
      if (gap > 0) {
        target.value = fmt(gap).replace(/,/g, "");
        target.dispatchEvent(new Event("input", { bubbles: true }));
      }
      return;
    }
    if (event.key === "Enter") {
      event.preventDefault();
      if (target.classList.contains("js-account")) {
        var only = target.closest(".account-cell").querySelector(".js-account-option");
        if (only && !target.closest(".account-cell").querySelector(".js-account-option + .js-account-option")) {
          target.value = only.dataset.code;
        }
        target.closest(".account-cell").querySelector(".account-results").innerHTML = "";
      }
      var list = fields();
      var index = list.indexOf(target);
      if (index === list.length - 1) {
        addLine().querySelector("input").focus();
      } else {
        list[index + 1].focus();
      }
    }
  });

  totals();
})();
