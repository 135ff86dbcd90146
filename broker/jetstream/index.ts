/**
 * Entry point loaded by broker/server when JetStream is enabled:
 * `createJetStreamService(options, { clock, log })` returns the internal service object.
 */
import { systemClock, type Clock } from "../../common/clock.js";
import { defaultOptions, type ServerOptions } from "../config/options.js";
import { JetStreamService } from "./service.js";
import { realStores } from "./stores.js";
import { silentLog, type JsLog } from "./types.js";

export { JetStreamService } from "./service.js";
export { metricsSample, jszReport } from "./monitor.js";

/**
 * broker/server calls this without arguments and passes options and logger to `start()`;
 * tests may pass them here (and a clock).
 */
export function createJetStreamService(options: ServerOptions = defaultOptions(), deps: { clock?: Clock; log?: JsLog } = {}): JetStreamService {
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? silentLog;
  return new JetStreamService(options, { clock, log, stores: realStores(clock) });
}
