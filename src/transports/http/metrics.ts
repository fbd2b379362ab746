import { Hono } from 'hono';
import type { InferenceServer } from '../../core/index.ts';
import { methodNotAllowed, notFoundResponse } from './errors.ts';

/** The metrics endpoint (served on --metrics-port): GET /metrics in Prometheus text format. */
export function createMetricsApp(server: InferenceServer): Hono {
  const app = new Hono();
  app.all('/metrics', (c) =>
    c.req.method === 'GET' ? new Response(server.metrics(), { headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } }) : methodNotAllowed(),
  );
  app.notFound(() => notFoundResponse());
  return app;
}
