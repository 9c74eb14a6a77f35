// Bundle the web UI's libraries into server/web/static/vendor/ and vendor the Noto Sans TC web font into
// server/web/static/fonts/.  Run with `npm run build` after `npm ci` (see README.md).
//
// Each bundle gets a <name>.LICENSES.txt beside it with the licence of every npm package esbuild put in it.
// The font keeps only the unicode-range slices that contain a character of the project's text (data/,
// queries/, server/web/templates/, server/web/static/): fonts.json lists them and the characters they cover.

import { build } from "esbuild";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const WEB = dirname(fileURLToPath(import.meta.url));
const ROOT = join(WEB, "..");
const STATIC = join(ROOT, "server", "web", "static");
const VENDOR = join(STATIC, "vendor");
const FONTS = join(STATIC, "fonts");
const FONT_PACKAGE = join(WEB, "node_modules", "@fontsource", "noto-sans-tc");
const TEXT_SOURCES = ["data", "queries", "server/web/templates", "server/web/static"];
const TEXT_FILE = /\.(ttl|rq|html|js|css|txt|md)$/;

const BUNDLES = [
  { name: "codemirror", entry: "src/codemirror.js" },
  { name: "cytoscape", entry: "src/cytoscape.js" },
  { name: "vis-timeline", entry: "src/vis-timeline.js" },
  { name: "vis-timeline", entry: "src/vis-timeline.css" },
];

/** The npm package (name and folder) a bundled input file belongs to, or null for our own sources. */
function packageOf(input) {
  const at = input.lastIndexOf("node_modules/");
  if (at < 0) return null;
  const parts = input.slice(at + "node_modules/".length).split("/");
  const name = parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  return { name, folder: join(WEB, input.slice(0, at), "node_modules", name) };
}

/** The text of a package's licence files, or its package.json licence field when it ships none. */
function licenceText(folder) {
  const files = readdirSync(folder).filter((f) => /^(licen[cs]e|copying)/i.test(f)).sort();
  const meta = JSON.parse(readFileSync(join(folder, "package.json"), "utf8"));
  const header = `${meta.name}@${meta.version} (${meta.license || "see below"})`;
  const body = files.length
    ? files.map((f) => readFileSync(join(folder, f), "utf8").trim()).join("\n\n")
    : `License: ${meta.license} (the package ships no licence file; see its package.json)`;
  return `${"=".repeat(78)}\n${header}\n${"=".repeat(78)}\n${body}\n`;
}

async function bundle({ name, entry }) {
  const css = entry.endsWith(".css");
  const outfile = join(VENDOR, `${name}.${css ? "css" : "js"}`);
  const result = await build({
    entryPoints: [join(WEB, entry)],
    outfile,
    bundle: true,
    minify: true,
    format: css ? undefined : "esm",
    target: ["es2020"],
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
  });
  const packages = new Map();
  for (const input of Object.keys(result.metafile.inputs)) {
    const found = packageOf(input);
    if (found) packages.set(found.name, found.folder);
  }
  // vis-timeline's own build inlines some of its peer dependencies (hammer.js, keycharm, uuid, xss, vis-util...)
  // and core-js: their licences go in too.
  for (const folder of css ? [] : [...packages.values()]) {
    const meta = JSON.parse(readFileSync(join(folder, "package.json"), "utf8"));
    for (const peer of Object.keys(meta.peerDependencies || {})) {
      const peerFolder = join(WEB, "node_modules", peer);
      if (!packages.has(peer) && existsSync(peerFolder)) packages.set(peer, peerFolder);
    }
  }
  const names = [...packages.keys()].sort();
  const licences = names.map((n) => licenceText(packages.get(n))).join("\n");
  const coreJs = readFileSync(outfile, "utf8").match(/core-js\/blob\/(v[\d.]+)\/LICENSE/);
  const note = coreJs ? `\nIt also holds core-js ${coreJs[1]} (MIT, Denis Pushkarev), inlined by vis-timeline's own build.\n` : "";
  const intro = `Licences of the npm packages bundled into ${relative(STATIC, outfile)} by web/build.mjs:\n${names.join(", ")}\n${note}\n`;
  const licenceFile = join(VENDOR, `${name}.${css ? "css" : "js"}.LICENSES.txt`);
  writeFileSync(licenceFile, intro + licences);
  console.log(`${relative(ROOT, outfile)}: ${statSync(outfile).size} bytes, ${names.length} packages`);
}

/** Every character of the project's text files. */
function projectCharacters() {
  const seen = new Set();
  const walk = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory() && entry.name !== "vendor" && entry.name !== "fonts") walk(path);
      else if (entry.isFile() && TEXT_FILE.test(entry.name)) for (const char of readFileSync(path, "utf8")) seen.add(char.codePointAt(0));
    }
  };
  for (const source of TEXT_SOURCES) if (existsSync(join(ROOT, source))) walk(join(ROOT, source));
  return seen;
}

/** [[first, last], ...] of a CSS unicode-range value. */
function parseRange(value) {
  return value.split(",").map((part) => {
    const [first, last] = part.trim().replace(/^U\+/i, "").split("-");
    return [parseInt(first, 16), parseInt(last || first, 16)];
  });
}

function vendorFont() {
  rmSync(FONTS, { recursive: true, force: true });
  mkdirSync(FONTS, { recursive: true });
  const characters = projectCharacters();
  const css = readFileSync(join(FONT_PACKAGE, "400.css"), "utf8");
  const faces = css.match(/@font-face\s*{[^}]*}/g);
  const kept = [];
  let covered = 0;
  for (const face of faces) {
    const file = /url\(\.\/files\/([^)]+\.woff2)\)/.exec(face)[1];
    const ranges = parseRange(/unicode-range:\s*([^;]+);/.exec(face)[1]);
    const inside = [...characters].filter((c) => c >= 0x2e80 && ranges.some(([a, b]) => c >= a && c <= b));
    if (!inside.length) continue;
    covered += inside.length;
    copyFileSync(join(FONT_PACKAGE, "files", file), join(FONTS, file));
    const src = `src: url(${file}) format('woff2');`;
    kept.push({ file, characters: inside.length, rule: face.replace(/src:[^;]+;/, src) });
  }
  const header = `/* Noto Sans TC 400 (SIL Open Font License 1.1, OFL.txt), from @fontsource/noto-sans-tc: the ${kept.length} of ${faces.length}\n` +
    `   unicode-range slices that hold a CJK character of the project's text. Written by web/build.mjs. */\n`;
  writeFileSync(join(FONTS, "noto-sans-tc.css"), header + kept.map((k) => k.rule).join("\n") + "\n");
  copyFileSync(join(FONT_PACKAGE, "LICENSE"), join(FONTS, "OFL.txt"));
  const bytes = kept.reduce((sum, k) => sum + statSync(join(FONTS, k.file)).size, 0);
  const version = JSON.parse(readFileSync(join(FONT_PACKAGE, "package.json"), "utf8")).version;
  const ranges = kept.map((k) => ({ file: k.file, characters: k.characters }));
  writeFileSync(join(FONTS, "fonts.json"), JSON.stringify({ package: `@fontsource/noto-sans-tc@${version}`, slices: faces.length, kept: ranges, bytes }, null, 1) + "\n");
  console.log(`server/web/static/fonts: ${kept.length} of ${faces.length} slices, ${bytes} bytes, ${covered} CJK characters covered`);
}

rmSync(VENDOR, { recursive: true, force: true });
mkdirSync(VENDOR, { recursive: true });
for (const item of BUNDLES) await bundle(item);
vendorFont();
