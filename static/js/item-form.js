// The evidence item form: show the witness fields only for a witness testimony, and keep the
// narrative editor to text (files are uploaded as files, where they are checked and hashed).
(function () {
  "use strict";
  var kind = document.getElementById("id_kind");
  var witness = document.getElementById("witness-fields");
  if (kind && witness) {
    kind.addEventListener("change", function () {
      witness.hidden = kind.value !== "witness_testimony";
    });
  }
  document.addEventListener("trix-file-accept", function (event) {
    event.preventDefault();
  });
})();
