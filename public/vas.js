// Progressive enhancement for visual-analogue items: adds a 0–10 line beside each number field
// and keeps the two in step. Without JavaScript the number field alone still works.
//
// The line starts empty (no thumb) until the person touches it, so nothing looks answered that
// is not; a tap anywhere on it, the thumb's resting place included, records that point (a range
// input alone fires no event when its thumb is tapped without moving).
(function () {
  "use strict";
  function place(slider, clientX) {
    var box = slider.getBoundingClientRect();
    if (box.width <= 0) {
      return null;
    }
    var share = Math.min(1, Math.max(0, (clientX - box.left) / box.width));
    return Math.round(share * 100) / 10;
  }
  document.querySelectorAll("input.vas").forEach(function (number) {
    var slider = document.createElement("input");
    slider.type = "range";
    slider.min = "0";
    slider.max = "10";
    slider.step = "0.1";
    slider.className = "vas-slider";
    slider.setAttribute("aria-label", (number.dataset.label || "Score") + ", 0 low to 10 high");
    slider.setAttribute("data-for", number.id);
    function show(value) {
      if (value === "" || isNaN(Number(value))) {
        slider.classList.add("vas-empty");
        slider.value = "5";
        slider.setAttribute("aria-valuetext", "not answered");
        return;
      }
      slider.classList.remove("vas-empty");
      slider.value = value;
      slider.removeAttribute("aria-valuetext");
    }
    function record(value) {
      number.value = Number(value).toFixed(1);
      show(number.value);
    }
    show(number.value);
    slider.addEventListener("pointerdown", function (event) {
      var value = place(slider, event.clientX);
      if (value !== null) {
        record(value);
      }
    });
    // Dragging and the arrow keys.
    slider.addEventListener("input", function () {
      record(slider.value);
    });
    number.addEventListener("input", function () {
      show(number.value);
    });
    var ends = document.createElement("div");
    ends.className = "vas-ends";
    ends.setAttribute("aria-hidden", "true");
    ends.innerHTML = "<span>0 Low</span><span>High 10</span>";
    number.insertAdjacentElement("afterend", slider);
    slider.insertAdjacentElement("afterend", ends);
  });
})();
