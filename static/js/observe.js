// The tablet entry form: show the chosen photo, refuse a too-large one before it is sent,
// and after a report put the thank-you where the person is looking.
(function () {
  "use strict";

  // The page's words in the reader's language, from the form's data-text-* attributes.
  function text(form, name, english) {
    return form.getAttribute("data-text-" + name) || english;
  }

  function photoInput(form) {
    return form.querySelector("[data-photo-input]");
  }

  function showPhoto(form) {
    var input = photoInput(form);
    var preview = form.querySelector("[data-photo-preview]");
    var label = form.querySelector("[data-photo-label]");
    var note = form.querySelector("[data-photo-client-error]");
    if (!input || !preview || !label) {
      return;
    }
    var file = input.files && input.files[0];
    var limit = parseInt(form.getAttribute("data-max-photo-bytes"), 10) || 10485760;
    if (note) {
      note.hidden = true;
      note.textContent = "";
    }
    if (file && file.size > limit) {
      // Refuse here so a big upload never leaves the tablet; the typed text stays.
      input.value = "";
      file = null;
      if (note) {
        note.textContent = text(form, "photo-too-large", "Photos can be at most 10 MB.");
        note.hidden = false;
      }
    }
    if (preview.src && preview.src.indexOf("blob:") === 0) {
      URL.revokeObjectURL(preview.src);
    }
    if (file) {
      preview.src = URL.createObjectURL(file);
      preview.hidden = false;
      label.textContent = text(form, "change-photo", "Change photo");
    } else {
      preview.removeAttribute("src");
      preview.hidden = true;
      label.textContent = text(form, "add-photo", "Add a photo");
    }
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.matches && input.matches("[data-photo-input]")) {
      showPhoto(input.closest("form"));
    }
  });

  function settle(root) {
    var form = root && root.querySelector ? (root.id === "observe-form" ? root : root.querySelector("#observe-form")) : null;
    if (!form) {
      return;
    }
    // A photo kept across a re-shown form (hx-preserve) needs its preview again.
    showPhoto(form);
    var thanks = form.querySelector("[data-thanks]");
    var problem = form.querySelector(".observe-banner[role='alert']:not([hidden])");
    var target = thanks || problem;
    if (target) {
      target.scrollIntoView({ block: "start" });
      if (thanks) {
        thanks.focus({ preventScroll: true });
      }
    }
  }

  document.addEventListener("htmx:load", function (event) {
    settle(event.detail.elt);
  });
})();
