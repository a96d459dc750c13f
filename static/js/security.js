// The sign-in security page: once a new passkey is saved, show it in the list by reloading.
(function () {
  "use strict";
  document.addEventListener("otp_webauthn.register_complete", function () {
    window.location.reload();
  });
})();
