// The evidence item form: show the witness fields only for a witness testimony, and keep the
// narrative editor to text (files are uploaded as files, where they are checked and hashed).
(function () {
  "use strict";
  var kind = document.getElementById("id_kind");
  var witness = document.getElementById("witness-fields");
  if (kind && witness) {
    var showWitness = function () {
      witness.hidden = kind.value !== "witness_testimony";
    };
    kind.addEventListener("change", showWitness);
    // A type chosen before this script ran, or restored by the browser on "Back".
    showWitness();
  }
  document.addEventListener("trix-file-accept", function (event) {
    event.preventDefault();
  });
})();
