#!/usr/bin/env node
// The floor: one thread reading the file and parsing every integer in it, and nothing else (no
// structure, no strings kept, no arrays filled). Reading a snapshot cannot take less than this on
// one thread; `backrefs info --no-retained` reads with two threads and is compared with it.
//
//   node bench/floor-scan.mjs bench/data/large.heapsnapshot
//
// Prints one JSON line: { "tool": "floor-scan", bytes, integers, sum, seconds }. The sum (mod 2^32)
// is printed so that the parsing cannot be optimised away.
import fs from "node:fs";

const file = process.argv[2];
if (!file) {
  console.error("usage: node bench/floor-scan.mjs <file>");
  process.exit(2);
}
const started = performance.now();
const fd = fs.openSync(file, "r");
const buf = Buffer.allocUnsafe(4 << 20);
let pos = 0;
let integers = 0;
let sum = 0;
let value = 0;
let inNumber = false;

/** One chunk: digits accumulate into `value`; any other byte ends a number. */
function scan(b, n) {
  let v = value;
  let inNum = inNumber;
  let count = 0;
  let s = sum;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      v = v * 10 + d;
      inNum = true;
    } else if (inNum) {
      s = (s + v) >>> 0;
      count++;
      v = 0;
      inNum = false;
    }
  }
  value = v;
  inNumber = inNum;
  sum = s;
  integers += count;
}

for (;;) {
  const n = fs.readSync(fd, buf, 0, buf.length, pos);
  if (n === 0) break;
  pos += n;
  scan(buf, n);
}
if (inNumber) {
  sum = (sum + value) >>> 0;
  integers++;
}
fs.closeSync(fd);
console.log(JSON.stringify({ tool: "floor-scan", bytes: pos, integers, sum, seconds: (performance.now() - started) / 1000 }));
