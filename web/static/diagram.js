/* Draws each .case-diagram section with bpmn-js (the global BpmnJS from /vendor/bpmn-viewer.js)
 * and marks the steps done and the current steps. No build step: plain ES2017.
 * Anything going wrong leaves the text lists of steps visible, which is the page without JS. */
(function () {
  'use strict';

  function readIds(canvas, name) {
    try {
      var ids = JSON.parse(canvas.getAttribute(name) || '[]');
      return Array.isArray(ids) ? ids : [];
    } catch (error) {
      return [];
    }
  }

  function giveUp(section, canvas, error) {
    canvas.hidden = true;
    section.querySelector('.case-diagram__problem').hidden = false;
    if (error && window.console) { window.console.warn('diagram not drawn:', error); }
  }

  function mark(viewer, ids, marker) {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    ids.forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, marker); }
    });
  }

  function draw(section) {
    var canvas = section.querySelector('.case-diagram__canvas');
    if (typeof window.BpmnJS !== 'function' || typeof window.fetch !== 'function') {
      giveUp(section, canvas, 'the bpmn-js viewer did not load');
      return;
    }
    canvas.hidden = false;  // bpmn-js measures the container, so show it before importing
    var viewer = new window.BpmnJS({ container: canvas });
    window.fetch(canvas.getAttribute('data-diagram-url'), { credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        viewer.get('canvas').zoom('fit-viewport');
        mark(viewer, readIds(canvas, 'data-completed'), 'step-done');
        mark(viewer, readIds(canvas, 'data-current'), 'step-current');
        section.classList.add('is-drawn');
      })
      .catch(function (error) {
        viewer.destroy();
        giveUp(section, canvas, error);
      });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('.case-diagram'), draw);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
