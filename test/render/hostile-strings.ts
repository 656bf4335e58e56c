/** Heap strings that broke naive DOT writers, and a subgraph that puts them everywhere a label can go. */
import type { Subgraph, SubgraphEdge, SubgraphNode } from "../../src/query/types.js";

const CONTROLS = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join("") + "\u007f";
const INJECTION = "<x>]; evil [label=<PWNED> URL=<javascript:alert(1)>]; y [label=<y>";

/** Strings that broke naive DOT writers (see docs/rendering.md), and a few more. */
export const HOSTILE = [
  '"',
  'say "hi"',
  "ends with a backslash\\",
  "C:\\temp\\",
  "<anonymous>",
  "\\N",
  "\\G",
  "\\l",
  "\\E \\T \\H \\L \\n \\\\",
  "<b>x</b>",
  CONTROLS,
  "\ud800",
  "a\udc00b",
  "\ufffe\uffff",
  INJECTION,
  "javascript:alert(1)",
  "<script>alert(1)</script>",
  '" onload="alert(1)',
  "x onclick=alert(1)",
  "&amp; &#0; &#x1; &lt; &",
  "]]> <!-- -- --> <![CDATA[",
  "}; digraph { a -> b",
  "caf\u00e9 \u4e2d \ud83d\ude00 \u202eevil",
  "",
  "x".repeat(1024),
];

/**
 * One node per string (name and class name both hostile; types rotate through object, string,
 * closure and regexp so every preview rule runs), each retaining the target through a property
 * named by the string; plus a hidden, a weak and a context edge, and a placeholder.
 */
export function hostileSubgraph(strings: string[]): Subgraph {
  const target: SubgraphNode = {
    id: 1,
    className: strings[0] ?? "T",
    type: "object",
    name: strings[0] ?? "T",
    selfSize: 8,
    isTarget: true,
    isRoot: false,
    depth: 0,
    onPath: true,
  };
  const types = ["object", "string", "closure", "regexp"];
  const nodes: SubgraphNode[] = [target];
  const edges: SubgraphEdge[] = [];
  strings.forEach((s, i) => {
    const id = 3 + 2 * i;
    nodes.push({
      id,
      className: s,
      type: types[i % types.length]!,
      name: s,
      selfSize: i * 1000,
      retainedSize: i * 1e6,
      isTarget: false,
      isRoot: i === strings.length - 1,
      depth: 1,
      onPath: i === 0,
      // A module's record shows the file it names (heap text too): the last node's own string, and
      // an injection on the first.
      ...(i === strings.length - 1 && i > 0 ? { module: s } : i === 0 && strings.length > 1 ? { module: INJECTION } : {}),
      // A function shows its script's name (heap text too): its own string, and an injection on the first.
      ...(types[i % types.length] === "closure" ? { script: i === 2 ? `/app/node_modules/${INJECTION}` : s } : {}),
    });
    edges.push({ from: id, to: 1, type: "property", name: s, onPath: i === 0, isDominatorEdge: i === 0 });
  });
  if (strings.length > 1) {
    edges.push({ from: 3, to: 5, type: "weak", name: strings[1]!, onPath: false });
    edges.push({ from: 5, to: 3, type: "context", name: strings[strings.length - 1]!, onPath: false });
    edges.push({ from: 3, to: 3, type: "hidden", name: 4, onPath: false });
  }
  return {
    targets: [1],
    nodes,
    edges,
    placeholders: [{ of: 1, count: 1234, reason: "too-many" }],
    limitsReached: { targetsOmitted: 2, tooMany: 1, maxNodes: 0, depth: 0, noPath: 1, pathHops: 0 },
  };
}
