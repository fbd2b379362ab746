import { Hono } from 'hono';
import { type InferenceServer, type ProcessSampler, renderProcessMetrics } from '../../core/index.ts';
import { methodNotAllowed, notFoundResponse } from './errors.ts';

export interface MetricsAppOptions {
  /** The platform's own process figures (memory, CPU, start time), appended as `process_*` series. */
  processSampler?: ProcessSampler;
}

/** The metrics endpoint (served on --metrics-port): GET /metrics in Prometheus text format. */
export function createMetricsApp(server: InferenceServer, opts: MetricsAppOptions = {}): Hono {
  const app = new Hono();
  const text = () => server.metrics() + (opts.processSampler ? renderProcessMetrics(opts.processSampler()) : '');
  app.all('/metrics', (c) =>
    c.req.method === 'GET' ? new Response(text(), { headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } }) : methodNotAllowed(),
  );
  app.notFound(() => notFoundResponse());
  return app;
}
