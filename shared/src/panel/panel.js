(function () {
  // Times: the operator's own time zone first, UTC beside it; forms send the offset so the server reads a time
  // typed in local time right (without this script everything is UTC and says so).
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  var local = function (d) { return d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }); };
  var utc = function (d) { return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC'; };
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('time[datetime]').forEach(function (t) {
      var d = new Date(t.getAttribute('datetime'));
      if (!isNaN(d)) t.textContent = local(d) + ' ' + zone + ' (' + utc(d) + ')';
    });
    document.querySelectorAll('.tz-label').forEach(function (l) { l.textContent = 'your time, ' + zone; });
    document.querySelectorAll('input[name=tz]').forEach(function (i) { i.value = String(-new Date().getTimezoneOffset()); });
    // Drag and drop onto a file field's paragraph (`.drop`): the dropped file becomes the field's file.
    document.querySelectorAll('.drop').forEach(function (zone) {
      var input = zone.querySelector('input[type=file]');
      zone.addEventListener('dragover', function (e) { e.preventDefault(); zone.classList.add('over'); });
      zone.addEventListener('dragleave', function () { zone.classList.remove('over'); });
      zone.addEventListener('drop', function (e) {
        e.preventDefault();
        zone.classList.remove('over');
        if (input && e.dataTransfer && e.dataTransfer.files.length) {
          input.files = e.dataTransfer.files;
          zone.dataset.dropped = e.dataTransfer.files[0].name;
        }
      });
    });
    document.querySelectorAll('input[type=datetime-local]').forEach(function (i) {
      var hint = i.parentNode.querySelector('.utc-hint');
      i.addEventListener('input', function () {
        var d = new Date(i.value);
        if (hint) hint.textContent = isNaN(d) ? '' : '= ' + utc(d);
      });
    });
  });
  var m = location.pathname.match(/^\/jobs\/([A-Za-z0-9_-]+)$/);
  if (!m) return;
  function apply(p) {
    var status = document.getElementById('status');
    if (status && status.textContent !== p.job.status) status.textContent = p.job.status;
    p.mailboxes.forEach(function (b) {
      var bar = document.querySelector('progress[data-mailbox="' + CSS.escape(b.address) + '"]');
      if (!bar) return;
      var of = Math.max(b.expected, b.copied_total), pct = of === 0 ? 100 : Math.min(100, Math.floor(b.copied_total * 100 / of));
      bar.value = pct; bar.textContent = pct + '%';
      bar.setAttribute('aria-valuenow', String(pct));
      bar.setAttribute('aria-valuetext', b.copied_total + ' of ' + of + ' messages');
    });
  }
  function poll() {
    setInterval(function () {
      fetch('/api/v1/jobs/' + m[1], { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) { if (p) apply(p); }).catch(function () {});
    }, 2000);
  }
  // Server-Sent Events where the server streams them (one machine); polling where it does not (Lambda).
  if (!window.EventSource) return poll();
  var es = new EventSource('/jobs/' + m[1] + '/events'), heard = false;
  es.onmessage = function (e) { heard = true; document.body.dataset.live = 'events'; apply(JSON.parse(e.data)); };
  es.onerror = function () { if (!heard) { es.close(); document.body.dataset.live = 'polling'; poll(); } };
})();
