// Image code refresh and the "get SMS code" button with its 2-minute countdown.
(function () {
  function csrf() { var el = document.querySelector('input[name=csrf_token]'); return el ? el.value : ''; }
  document.addEventListener('click', function (ev) {
    var img = ev.target.closest('#captcha-img');
    if (img) { window.location.reload(); return; }
    var btn = ev.target.closest('.js-send-sms');
    if (!btn || btn.disabled) return;
    var form = btn.closest('form');
    var data = new FormData();
    data.append('csrf_token', csrf());
    data.append('purpose', btn.dataset.purpose);
    data.append('phone', (form.querySelector('[name=' + btn.dataset.phoneField + ']') || {}).value || '');
    var cap = form.querySelector('[name=captcha]');
    if (cap) data.append('captcha', cap.value);
    var msg = form.querySelector('.js-sms-message');
    fetch(btn.dataset.url, { method: 'POST', body: data, credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (res) {
        if (msg) msg.textContent = res.message || '';
        var capImg = document.getElementById('captcha-img');
        if (capImg && res.captcha) { capImg.src = res.captcha; if (cap) cap.value = ''; }
        if (!res.ok) return;
        var left = 120, label = btn.textContent;
        btn.disabled = true;
        var timer = setInterval(function () {
          left -= 1; btn.textContent = left + 's';
          if (left <= 0) { clearInterval(timer); btn.disabled = false; btn.textContent = label; }
        }, 1000);
      });
  });
})();

