#!/usr/bin/env bash
# Rebuild the partial plotly.js bundles vendored beside this script (see README.md).
#
#   app/web/assets/vendor/build_plotly.sh [plotly.js version]
#
# Needs node and npm (the npm registry) only when rebuilding; the app and `make` use the committed files.
# The plotly.js version defaults to the one the installed `plotly` Python package bundles, so that the
# partial bundle matches what dcc.Graph was built and tested against.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../../.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
PLOTLYJS_VERSION="${1:-$("$PYTHON" -c 'from plotly.offline import get_plotlyjs_version; print(get_plotlyjs_version())')}"
ESBUILD_VERSION="0.28.2"

# Every trace type the app draws. app/figures and app/web/pages may use no other: tests/web/test_plotly_bundle.py
# parses the bundles and fails when a figure uses a trace type that is not registered in them.
TRACES="bar choropleth scatter scattergeo"
# Added only in the bundle served when DISPERSAL_TILE_URL is set (MapLibre is most of its size).
MAP_TRACES="choroplethmap scattermap"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/plotly-dispersal.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "plotly.js@$PLOTLYJS_VERSION" "esbuild@$ESBUILD_VERSION"

cat > build.mjs <<'JS'
// One minified IIFE per bundle that sets window.Plotly, built as plotly.js's own dist bundles are
// (esbuild-config.js: global=window, NODE_DEBUG=false, stream alias, attribute descriptions stripped).
import { build } from 'esbuild';
import { createRequire } from 'module';
import fs from 'fs';
import path from 'path';

const require = createRequire(import.meta.url);
const stripMeta = require('plotly.js/tasks/compress_attributes.js');
const [out, version, ...traces] = process.argv.slice(2);

// maplibre-gl's stylesheet, injected at run time as plotly.js's esbuild-plugin-inline-css does.
const inlineCss = {
  name: 'inline-css',
  setup(b) {
    b.onLoad({ filter: /\.css$/ }, async (args) => ({
      contents: 'var s=document.createElement("style");s.textContent=' +
        JSON.stringify(await fs.promises.readFile(args.path, 'utf8')) + ';document.head.appendChild(s);',
      loader: 'js',
    }));
  },
};

const entry = [
  "var Plotly = require('plotly.js/lib/core');",
  `Plotly.register([${traces.map((t) => `require('plotly.js/lib/${t}')`).join(', ')}]);`,
  'window.Plotly = Plotly;',
  'module.exports = Plotly;',
].join('\n');
fs.writeFileSync('entry.js', entry);

const banner = [
  '/**',
  `* plotly.js v${version} (Dispersal Monitor partial bundle: ${traces.join(', ')})`,
  '* Copyright 2012-2025, Plotly, Inc.',
  '* All rights reserved.',
  '* Licensed under the MIT license',
  '* Third-party notices: THIRD-PARTY-NOTICES.txt beside this file.',
  '*/',
].join('\n');

const result = await build({
  entryPoints: ['entry.js'],
  outfile: out,
  bundle: true,
  minify: true,
  format: 'iife',
  globalName: 'Plotly',
  target: 'es2016',
  define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
  alias: { stream: 'stream-browserify' },
  plugins: [stripMeta, inlineCss],
  banner: { js: banner },
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

// The packages whose code went into the bundle, for the notices file.
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const parts = input.split('node_modules/');
  if (parts.length < 2) continue;
  const tail = parts[parts.length - 1].split('/');
  packages.add(parts.slice(0, -1).join('node_modules/') + 'node_modules/' +
    (tail[0].startsWith('@') ? tail.slice(0, 2).join('/') : tail[0]));
}
fs.writeFileSync(out + '.packages.json', JSON.stringify([...packages].sort()));
JS

cat > notices.mjs <<'JS'
// THIRD-PARTY-NOTICES.txt: the licence text of every package bundled into any of the given bundles.
import fs from 'fs';
import path from 'path';

const dirs = [...new Set(process.argv.slice(2).flatMap((f) => JSON.parse(fs.readFileSync(f, 'utf8'))))].sort();
const sections = dirs.map((dir) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  const text = file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() : `License: ${pkg.license}`;
  return `${'='.repeat(78)}\n${pkg.name}@${pkg.version} (${pkg.license})\n${'='.repeat(78)}\n${text}\n`;
});
process.stdout.write('Licences of the npm packages bundled into plotly-dispersal*.min.js\n\n' + sections.join('\n'));
JS

# shellcheck disable=SC2086
node build.mjs plotly-dispersal.min.js "$PLOTLYJS_VERSION" $TRACES
# shellcheck disable=SC2086
node build.mjs plotly-dispersal-map.min.js "$PLOTLYJS_VERSION" $TRACES $MAP_TRACES
node notices.mjs plotly-dispersal.min.js.packages.json plotly-dispersal-map.min.js.packages.json > THIRD-PARTY-NOTICES.txt

cp plotly-dispersal.min.js plotly-dispersal-map.min.js THIRD-PARTY-NOTICES.txt "$HERE/"
cp node_modules/plotly.js/LICENSE "$HERE/plotly.js-LICENSE.txt"
for f in plotly-dispersal.min.js plotly-dispersal-map.min.js; do
  echo "$f: $(wc -c < "$HERE/$f") bytes, $(gzip -6c "$HERE/$f" | wc -c) gzip"
done
