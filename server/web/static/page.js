// Entity, source and ontology pages: groups of facts (and the derived statements) loaded when opened, and a filter
// box over the fact cards (or terms) that first loads every group.

/** Load a <details data-src> group's HTML fragment once; resolves when it is in the page. */
async function load(group) {
  if (group.dataset.loaded === "true") return;
  if (!group.loading) {
    group.loading = fetch(group.dataset.src, { headers: { Accept: "text/html" } })
      .then((response) => (response.ok ? response.text() : Promise.reject(new Error(`${response.status}`))))
      .then((html) => {
        const body = group.querySelector(".fact-list");
        body.replaceChildren(document.createRange().createContextualFragment(html));
        group.dataset.loaded = "true";
      })
      .catch((error) => {
        group.loading = null;
        group.querySelector(".fact-list").prepend(Object.assign(document.createElement("p"), { className: "error", textContent: `Could not load: ${error.message}` }));
      });
  }
  await group.loading;
}

for (const group of document.querySelectorAll("details[data-src]")) {
  group.addEventListener("toggle", () => group.open && load(group));
}

for (const input of document.querySelectorAll(".fact-filter")) {
  const container = document.querySelector(input.dataset.target);
  const selector = input.dataset.items || ".fact";
  const counter = input.closest(".facts-filter").querySelector(".filter-count");
  const groups = container ? [...container.querySelectorAll("details[data-src]")] : [];
  let ready = null;
  const filter = () => {
    const needle = input.value.trim().toLowerCase();
    const items = [...container.querySelectorAll(selector)];
    let shown = 0;
    for (const item of items) {
      item.hidden = Boolean(needle) && !(item.dataset.filterText || item.textContent).toLowerCase().includes(needle);
      if (!item.hidden) shown += 1;
    }
    for (const group of groups) {
      const matches = group.querySelectorAll(`${selector}:not([hidden])`).length;
      group.hidden = Boolean(needle) && matches === 0;
      if (needle && matches) group.open = true;
    }
    counter.textContent = needle ? `${shown} / ${items.length}` : "";
  };
  input.addEventListener("input", async () => {
    if (input.value.trim() && groups.length) {
      counter.textContent = "Loading… 載入中";
      ready = ready || Promise.all(groups.map(load));
      await ready;
    }
    filter();
  });
}
