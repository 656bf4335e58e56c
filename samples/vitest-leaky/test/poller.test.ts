import { expect, it } from "vitest";
import { StatusPoller } from "../src/poller.js";

// Leaks: the first two tests start a poller and never stop it; the third one does (2 pollers left).
it("starts polling", () => {
  const p = new StatusPoller();
  p.start();
  expect(p.seen).toEqual([]);
});

it("starts polling again", () => {
  const p = new StatusPoller();
  p.start();
  expect(p.seen).toEqual([]);
});

it("starts and stops polling", () => {
  const p = new StatusPoller();
  p.start();
  p.stop();
  expect(p.seen).toEqual([]);
});
