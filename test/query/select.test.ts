import { describe, expect, it } from "vitest";
import { closestNames } from "../../src/query/select.js";

describe("closestNames (did you mean)", () => {
  const counts = new Map([
    ["OrderService", 201],
    ["LeakyRequest", 200],
    ["(string)", 10_887],
    ["(compiled code)", 11_634],
    ["Temp", 40],
  ]);

  it("finds typos: a letter missing, two letters swapped, another case", () => {
    expect(closestNames(["OrderServce"], counts)).toEqual(["OrderService (201)"]);
    expect(closestNames(["Tmep"], counts)).toEqual(["Temp (40)"]);
    expect(closestNames(["leakyrequest"], counts)[0]).toBe("LeakyRequest (200)");
  });

  it("never suggests unrelated names, however common", () => {
    expect(closestNames(["LeakyRqeuest"], counts)).toEqual(["LeakyRequest (200)"]);
    expect(closestNames(["Zebra"], counts)).toEqual([]);
  });
});
