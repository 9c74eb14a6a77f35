// The timeline page: the events of the timeline-events service query, drawn by the timeline view.

import { clear, loadLabels } from "./dom.js";
import { renderTimeline } from "./timeline.js";

const target = document.querySelector("#timeline");

async function show() {
  const response = await fetch(target.dataset.source, { headers: { Accept: "application/sparql-results+json" } });
  const result = await response.json();
  await loadLabels(result.results.bindings.flatMap((row) => Object.values(row).filter((c) => c.type === "uri").map((c) => c.value)));
  renderTimeline(clear(target), result);
  target.dataset.ready = "true";
}

show();
