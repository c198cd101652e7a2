// Progressive enhancement for visual-analogue items: adds a 0–10 slider beside each number
// field and keeps the two in step. Without JavaScript the number field alone still works.
(function () {
  "use strict";
  document.querySelectorAll("input.vas").forEach(function (number) {
    var slider = document.createElement("input");
    slider.type = "range";
    slider.min = "0";
    slider.max = "10";
    slider.step = "0.1";
    slider.className = "vas-slider";
    slider.value = number.value === "" ? "5" : number.value;
    slider.setAttribute("aria-label", (number.dataset.label || "Score") + " slider");
    slider.setAttribute("data-for", number.id);
    var touched = number.value !== "";
    slider.addEventListener("input", function () {
      touched = true;
      number.value = Number(slider.value).toFixed(1);
    });
    number.addEventListener("input", function () {
      if (number.value !== "") {
        slider.value = number.value;
      }
    });
    var ends = document.createElement("div");
    ends.className = "vas-ends";
    ends.setAttribute("aria-hidden", "true");
    ends.innerHTML = "<span>Low</span><span>High</span>";
    number.insertAdjacentElement("afterend", slider);
    slider.insertAdjacentElement("afterend", ends);
    if (!touched) {
      number.placeholder = "move the slider";
    }
  });
})();
