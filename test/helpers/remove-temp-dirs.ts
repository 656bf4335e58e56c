/** Setup file of every test file (vitest.config.ts): the file's temporary folders go once its tests are done. */
import { afterAll } from "vitest";
import { removeTempDirs } from "./temp-dir.js";

afterAll(removeTempDirs);
