// Entity, source and ontology pages: a filter box over the fact cards (or terms).

for (const input of document.querySelectorAll(".fact-filter")) {
  const container = document.querySelector(input.dataset.target);
  const selector = input.dataset.items || ".fact";
  const counter = input.closest(".facts-filter").querySelector(".filter-count");
  const items = container ? [...container.querySelectorAll(selector)] : [];
  const texts = items.map((item) => (item.dataset.filterText || item.textContent).toLowerCase());
  input.addEventListener("input", () => {
    const needle = input.value.trim().toLowerCase();
    let shown = 0;
    items.forEach((item, i) => {
      item.hidden = Boolean(needle) && !texts[i].includes(needle);
      if (!item.hidden) shown += 1;
    });
    counter.textContent = needle ? `${shown} / ${items.length}` : "";
  });
}
