/**
 * A node server that answers a list of routes as the service's own does: the one route
 * table, with its 404, 405, 413, 500 and 503 answers.
 */
import { createServer, type Server } from "node:http";
import { routeRequests, type Route } from "../../src/api/http/router";

export const routesServer = (routes: readonly Route[]): Server => {
  const handle = routeRequests(routes);
  return createServer((req, res) => void handle(req, res));
};
