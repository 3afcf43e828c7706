/* Progressive enhancement for the attachments of a posting form (the plain file input works without it):
   files can be dropped on the form's attachments area or chosen several times; the list of files to send
   is shown, each with a button to remove it before sending. The list is kept in the file input itself
   (DataTransfer), so the form is sent exactly as without JavaScript. */
(function () {
  "use strict";

  if (typeof window.DataTransfer !== "function") { return; }

  function sizeLabel(size) {
    if (size >= 1024 * 1024) { return (size / (1024 * 1024)).toFixed(1) + " MB"; }
    if (size >= 1024) { return Math.round(size / 1024) + " KB"; }
    return size + " B";
  }

  function setUp(fieldset) {
    var input = fieldset.querySelector('input[type="file"]');
    if (!input) { return; }
    try { input.files = new DataTransfer().files; } catch (error) { return; }  // cannot set the input's files
    var chosen = [];
    var zone = document.createElement("p");
    zone.className = "dropzone";
    zone.textContent = fieldset.dataset.dropLabel || "";
    var list = document.createElement("ul");
    list.className = "attachment-list";
    list.setAttribute("aria-live", "polite");
    input.parentNode.insertBefore(zone, input);
    input.parentNode.insertBefore(list, input.nextSibling);

    function sync() {
      var transfer = new DataTransfer();
      chosen.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
      render();
    }

    function render() {
      list.textContent = "";
      chosen.forEach(function (file, index) {
        var item = document.createElement("li");
        item.className = "attachment-list__item";
        var name = document.createElement("span");
        name.textContent = file.name + "（" + sizeLabel(file.size) + "）";
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "button button--small";
        remove.textContent = fieldset.dataset.removeLabel || "×";
        remove.setAttribute("aria-label", (fieldset.dataset.removeLabel || "") + " " + file.name);
        remove.addEventListener("click", function () {
          chosen.splice(index, 1);
          sync();
          input.focus();
        });
        item.appendChild(name);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(remove);
        list.appendChild(item);
      });
    }

    function add(files) {
      Array.prototype.forEach.call(files, function (file) {
        var known = chosen.some(function (other) {
          return other.name === file.name && other.size === file.size && other.lastModified === file.lastModified;
        });
        if (!known) { chosen.push(file); }
      });
      sync();
    }

    // Choosing again adds to the list (a plain input would replace what was chosen before).
    input.addEventListener("change", function () { add(input.files); });
    fieldset.addEventListener("dragover", function (event) {
      if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
        event.preventDefault();
        fieldset.classList.add("attachments-field--dragging");
      }
    });
    fieldset.addEventListener("dragleave", function (event) {
      if (!fieldset.contains(event.relatedTarget)) { fieldset.classList.remove("attachments-field--dragging"); }
    });
    fieldset.addEventListener("drop", function (event) {
      if (!event.dataTransfer || !event.dataTransfer.files.length) { return; }
      event.preventDefault();
      fieldset.classList.remove("attachments-field--dragging");
      add(event.dataTransfer.files);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-attachments]"), setUp);
  });
}());
