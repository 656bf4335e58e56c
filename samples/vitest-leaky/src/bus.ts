import { EventEmitter } from "node:events";

// One application-wide event bus, living as long as the process.
export const configBus = new EventEmitter();
configBus.setMaxListeners(0);

// A session listens for configuration reloads and never stops listening:
// the listener's closure keeps the session alive after the test is done with it.
export class Session {
  readonly log: string[] = [];
  constructor(readonly user: string) {
    configBus.on("reload", () => this.log.push("reloaded"));
  }
}
