// Small behaviours every page shares.
// 1. The site menu on narrow screens: one button opens and closes it. Without this script the
//    menu is simply always shown, so every page stays usable.
// 2. When a request made in place (HTMX) is refused or fails, say why on the page; otherwise
//    the click would seem to do nothing.
(function () {
  "use strict";
  function showRequestError(event) {
    var xhr = event.detail && event.detail.xhr;
    if (!xhr) return;
    var reason = "";
    try {
      var page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var found = page.querySelector(".error-reason");
      reason = found ? found.textContent.trim() : "";
    } catch (e) {
      reason = "";
    }
    if (!reason && xhr.getResponseHeader("Content-Type") === "text/plain") {
      reason = (xhr.responseText || "").trim().slice(0, 300);
    }
    var main = document.getElementById("main");
    if (!reason) {
      // The words come from the page, where they are translated.
      reason = xhr.status === 0 ? main.dataset.offline : main.dataset.failed;
    }
    var box = document.getElementById("request-error");
    if (!box) {
      box = document.createElement("p");
      box.id = "request-error";
      box.className = "message message-error";
      box.setAttribute("role", "alert");
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = reason;
  }
  document.addEventListener("htmx:responseError", showRequestError);
  document.addEventListener("htmx:sendError", showRequestError);

  function setUp() {
    var button = document.querySelector(".menu-toggle");
    var menu = document.getElementById("site-menu");
    if (!button || !menu) return;
    var header = button.closest(".site-header");
    header.classList.add("has-menu-toggle");
    button.hidden = false;
    function setOpen(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      header.classList.toggle("menu-open", open);
    }
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        button.focus();
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
