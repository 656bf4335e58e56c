// Writes a heap snapshot of a program that keeps plain objects of a few shapes, the way a linter or
// a compiler does, to show (and test) DevTools' class names for plain objects: `{ruleId, message,
// messageId}` instead of `Object`.
//
//   node samples/make-shapes-snapshot.cjs              # -> samples/shapes.heapsnapshot.gz
//   node samples/make-shapes-snapshot.cjs out.heapsnapshot
//
// Kept alive through globalThis.shapes (property values are strings or objects: V8 writes no edge
// for a small integer, and a plain object is named by the property edges the snapshot holds):
//   300 {ruleId, message, messageId}       lint reports
//   120 {node, antecedent}                 flow nodes, each pointing at a {syntaxKind} object
//   120 {syntaxKind}
//    40 {left, right} + 10 {right, left}   the same properties in another order: one class,
//                                          named after the more common order
//     1 {left, right, extra}               seen once: named after the shape it contains, {left, right}
//     1 {lonely}                           seen once, contains no known shape: stays Object
// and two classes both named Item, defined in different places (DevTools lists them apart):
//    30 Item (FirstItem below) and 20 Item (SecondItem)
"use strict";
const { writeHeapSnapshot } = require("node:v8");
const { gzipSync } = require("node:zlib");
const { readFileSync, writeFileSync, unlinkSync } = require("node:fs");
const { join } = require("node:path");

const shapes = [];
const reports = [];
for (let i = 0; i < 300; i++) reports.push({ ruleId: `rule-${i % 7}`, message: `problem ${i}`, messageId: `id-${i % 3}` });
shapes.push(...reports);
for (let i = 0; i < 120; i++) shapes.push({ node: { syntaxKind: `kind-${i}` }, antecedent: reports[i] });
for (let i = 0; i < 40; i++) shapes.push({ left: `L${i}`, right: `R${i}` });
for (let i = 0; i < 10; i++) shapes.push({ right: `r${i}`, left: `l${i}` });
shapes.push({ left: "l", right: "r", extra: "e" });
shapes.push({ lonely: "one" });
globalThis.shapes = shapes;

const FirstItem = class Item { constructor(i) { this.label = `first ${i}`; } };
const SecondItem = class Item { constructor(i) { this.title = `second ${i}`; } };
globalThis.items = [];
for (let i = 0; i < 30; i++) globalThis.items.push(new FirstItem(i));
for (let i = 0; i < 20; i++) globalThis.items.push(new SecondItem(i));

const out = process.argv[2];
if (out) {
  writeHeapSnapshot(out);
} else {
  const raw = join(__dirname, "shapes.heapsnapshot");
  writeHeapSnapshot(raw);
  writeFileSync(`${raw}.gz`, gzipSync(readFileSync(raw), { level: 9 }));
  unlinkSync(raw);
  console.log(`wrote ${raw}.gz`);
}
