/* The audit report's "Print this report" button (kept out of the page: the
 * Content-Security-Policy allows no inline script). */
(function () {
  'use strict';
  var button = document.getElementById('print-report');
  if (button) { button.addEventListener('click', function () { window.print(); }); }
}());
