// The Noto Sans TC web font (fonts/noto-sans-tc.css) for machines without a CJK font, added once the page is
// parsed: its slices then load after the first view instead of competing with it (the stack's system fonts come
// first, so where a CJK font is installed nothing is downloaded).

const link = document.createElement("link");
link.rel = "stylesheet";
link.href = "/static/fonts/noto-sans-tc.css";
link.id = "web-font";
document.head.append(link);
