// exhunt serve dashboard: small conveniences only — every page works without this script.
// Filter selects marked data-autosubmit submit their form when changed. It reads nothing from the
// page's text and writes no markup.
'use strict';
(function () {
  document.addEventListener('change', function (e) {
    var el = e.target;
    if (el && el.matches && el.matches('select[data-autosubmit]') && el.form) el.form.requestSubmit();
  });
})();
