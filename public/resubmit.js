// After a step-up, sends the kept form on at once; without JavaScript the person presses the
// button, and nothing is lost either way.
(function () {
  "use strict";
  var form = document.querySelector("form[data-resubmit]");
  if (form) {
    form.submit();
  }
})();
