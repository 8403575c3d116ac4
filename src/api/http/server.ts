/**
 * The service's HTTP server on node:http, serving one route table, scoped: listening once
 * the scope has it, closed when the scope closes.
 */
import { createServer, type Server } from "node:http";
import { Effect } from "effect";
import { routeRequests, type Route } from "./router";

export const serve = (host: string, port: number, routes: readonly Route[]) =>
  Effect.acquireRelease(
    Effect.async<Server, Error>((resume) => {
      const handle = routeRequests(routes);
      const server = createServer((req, res) => void handle(req, res));
      server.once("error", (error) => resume(Effect.fail(new Error(`cannot listen on ${host}:${port}: ${error.message}`))));
      server.listen(port, host, () => resume(Effect.succeed(server)));
    }),
    (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void))),
  );
