// "Select all" ticks or clears every portfolio on the centre's export page; the form works
// without it. (A file, not an inline script: the Content-Security-Policy allows no inline code.)
document.getElementById("select-all")?.addEventListener("change", (event) => {
  document.querySelectorAll(".portfolio-choice").forEach((box) => {
    box.checked = event.target.checked;
  });
});
