#!/usr/bin/env bash
# The package as a user gets it: pack this checkout, install the tarball in an empty project, draw
# the bundled sample as PNG with `npx backrefs`, load the library with import and require, and report
# how many packages and bytes the install holds. Needs the npm registry (for the dependencies).
#
#   scripts/check-package.sh            # keeps nothing; prints the figures
#   KEEP=1 scripts/check-package.sh     # leaves the temporary project (and leak.png) for a look
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
[[ "${KEEP:-}" == 1 ]] || trap 'rm -rf "$tmp"' EXIT

cd "$root"
npm pack --silent --pack-destination "$tmp" >/dev/null
tarball="$(ls "$tmp"/backrefs-*.tgz)"
echo "tarball: $(basename "$tarball"), $(du -k "$tarball" | cut -f1) kB"

mkdir "$tmp/project" && cd "$tmp/project"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent "$tarball"

npx --no-install backrefs "$root/samples/leak.heapsnapshot.gz" --type LeakyRequest --max-targets 4 --quiet -o leak.png
node -e 'const fs = require("fs"); const b = fs.readFileSync("leak.png"); if (b.readUInt32BE(0) !== 0x89504e47) throw new Error("not a PNG"); console.log(`npx backrefs … -o leak.png: ${b.readUInt32BE(16)}×${b.readUInt32BE(20)} px, ${b.length} bytes`)'
node --input-type=module -e 'const b = await import("backrefs"); if (typeof b.loadHeapGraph !== "function") throw new Error("import failed"); console.log("import(\"backrefs\"): ok")'
node -e 'const b = require("backrefs"); if (typeof b.loadHeapGraph !== "function") throw new Error("require failed"); console.log("require(\"backrefs\"): ok")'

packages="$(find node_modules -name package.json -not -path '*/node_modules/*/node_modules/*' -path 'node_modules/*' | grep -cE '^node_modules/(@[^/]+/)?[^/@]+/package.json$')"
echo "installed: $packages packages, $(du -sh node_modules | cut -f1) in node_modules"
npm ls --all --parseable | sed "s|^$tmp/project/||" | tail -n +2
[[ "${KEEP:-}" == 1 ]] && echo "kept: $tmp/project"
exit 0
