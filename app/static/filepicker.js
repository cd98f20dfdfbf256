// File inputs speak the page's language (the browser's own "Choose File / No file chosen" follows
// the browser's language): the native input stays in the form, hidden, behind a translated button
// and the chosen file's name.  Shared by the portal and the back office (templates/_filepicker.html,
// whose script tag carries the translated labels).
(function () {
  var labels = document.currentScript.dataset;
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('input[type=file]').forEach(function (input) {
      var box = document.createElement('span');
      box.className = 'file-picker';
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-default btn-sm';
      button.textContent = labels.chooseFile;
      var name = document.createElement('span');
      name.className = 'file-name text-muted';
      name.textContent = labels.noFile;
      input.parentNode.insertBefore(box, input);
      box.appendChild(input);
      box.appendChild(button);
      box.appendChild(name);
      input.classList.add('file-native');
      button.addEventListener('click', function () { input.click(); });
      input.addEventListener('change', function () {
        name.textContent = input.files.length ? input.files[0].name : labels.noFile;
      });
    });
  });
})();
