/**
 * Entry point loaded by broker/server when JetStream is enabled:
 * `createJetStreamService(options, { clock, log })` returns the internal service object.
 */
import type { Clock } from "../../common/clock.js";
import type { ServerOptions } from "../config/options.js";
import { JetStreamService } from "./service.js";
import { realStores } from "./stores.js";
import type { JsLog } from "./types.js";

export { JetStreamService } from "./service.js";
export { metricsSample, jszReport } from "./monitor.js";

export function createJetStreamService(options: ServerOptions, deps: { clock: Clock; log: JsLog }): JetStreamService {
  return new JetStreamService(options, { clock: deps.clock, log: deps.log, stores: realStores(deps.clock, deps.log) });
}
