// A rating link from a survey's e-mail: the page sends the rating the link
// chose by itself, so one click in the mail is enough. Fetching the page
// alone (as link checkers do) records nothing; without scripts, the
// "Send rating" button does the same.
(function () {
  'use strict';
  var form = document.getElementById('csat-link-form');
  if (!form || form.getAttribute('data-autosend') !== 'yes') {
    return;
  }
  var sending = form.querySelector('.csat-link-sending');
  if (sending) {
    sending.hidden = false;
  }
  var button = document.getElementById('csat-link-send');
  if (button) {
    button.disabled = true;
  }
  // A page restored from the back/forward cache must not send again.
  form.setAttribute('data-autosend', 'sent');
  HTMLFormElement.prototype.submit.call(form);
})();
