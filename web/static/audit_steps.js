/* Step pages: the left and right arrow keys follow the "Previous event" / "Next event" links
 * (rel=prev / rel=next), unless the focus is in a field or a modifier key is held. */
(function () {
  'use strict';
  var KEYS = { ArrowLeft: 'prev', ArrowRight: 'next' };

  document.addEventListener('keydown', function (event) {
    var rel = KEYS[event.key];
    if (!rel || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return;
    }
    var link = document.querySelector('.step-nav a[rel="' + rel + '"]');
    if (link) {
      event.preventDefault();
      window.location.assign(link.href);
    }
  });
}());
