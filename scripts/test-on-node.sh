#!/usr/bin/env bash
# The tests whose answers depend on what the running Node puts in its heap (the test reporters, the
# live API, the runner rules) on another Node release, fetched from the npm registry as the package
# node-<platform>-<arch>@<major>. The test suite itself runs on Node 20; snapshots of newer releases
# differ (docs/heapsnapshot-format.md, "What changes between Node versions").
#
#   scripts/test-on-node.sh 22           # these tests on the newest Node 22
#   scripts/test-on-node.sh 24 --all     # the whole test suite on Node 24
set -euo pipefail
[[ $# -ge 1 ]] || { echo "usage: scripts/test-on-node.sh <major> [--all]" >&2; exit 2; }
major="$1"
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # a test runs node as another user (a file it cannot read)

platform="$(node -p 'process.platform + "-" + process.arch')"
(cd "$tmp" && npm pack --silent "node-$platform@$major" >/dev/null && tar xzf node-*.tgz)
export PATH="$tmp/package/bin:$PATH"
echo "node $(node --version) (V8 $(node -p process.versions.v8))"

cd "$root"
npx tsc -p tsconfig.json # the CLI and node:test tests run dist/
if [[ "${2:-}" == --all ]]; then
  npx vitest run
else
  npx vitest run test/node-test test/vitest test/testing test/api/live.test.ts test/query/leftovers.test.ts
fi
