/**
 * The admin endpoint: break and heal a running world over HTTP.
 *
 *   GET  /                      what is running and the routes below
 *   GET  /scenario              {"name": "..."}
 *   POST /scenario              {"name": "wrong-subject"}
 *   GET  /faults                the knobs in effect
 *   POST /faults                {"stsThrottleShare": 0.5, ...} (merged into the set knobs)
 *   POST /faults/reset          clear every set knob (the scenario's own stay)
 *   GET  /stats                 request counters per emulator and operation
 *   POST /stats/reset
 *   POST /rotate                rewrite the token files now
 *   GET  /env                   the env file's variables
 *   GET  /trust-policy?role=ARN  a role's trust policy
 *   POST /trust-policy          {"role": ARN, "policy": {...}} replaces it (until the next scenario switch)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { FaultError } from './faults.js';
import { guarded, readBody, requestUrl, sendJson } from './http-util.js';
import { LoopbackServer } from './loopback-server.js';
import { isScenario, SCENARIO_DESCRIPTIONS, SCENARIOS } from './scenarios.js';
import { TrustPolicyError } from './trust-admin.js';
import type { World } from './world.js';

const MAX_BODY = 16 * 1024;

type Route = (req: IncomingMessage) => Promise<[number, unknown]>;

class BadRequest extends Error {}

export class AdminServer extends LoopbackServer {
  private constructor(world: World) {
    super(createServer());
    const routes = routesFor(world);
    this.server.on(
      'request',
      guarded(
        async (req, res) => answer(req, res, routes),
        (res, error) => sendJson(res, 500, { error: (error as Error).message }),
      ),
    );
  }

  static async start(world: World): Promise<AdminServer> {
    return new AdminServer(world).listen();
  }
}

async function answer(req: IncomingMessage, res: ServerResponse, routes: Record<string, Record<string, Route>>): Promise<void> {
  const path = requestUrl(req).pathname.replace(/\/+$/, '') || '/';
  const methods = routes[path];
  if (methods === undefined) {
    req.resume();
    return sendJson(res, 404, { error: `no route ${path}; GET / lists them` });
  }
  const route = methods[req.method ?? 'GET'];
  if (route === undefined) {
    req.resume();
    return sendJson(res, 405, { error: `${req.method} not allowed on ${path}` }, { allow: Object.keys(methods).join(', ') });
  }
  try {
    const [status, body] = await route(req);
    sendJson(res, status, body);
  } catch (error) {
    if (error instanceof BadRequest || error instanceof FaultError || error instanceof TrustPolicyError) return sendJson(res, 400, { error: error.message });
    throw error;
  }
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req, MAX_BODY);
  if (body.tooLarge) throw new BadRequest(`body larger than ${MAX_BODY} bytes`);
  try {
    return JSON.parse(body.bytes.toString('utf8') || '{}');
  } catch {
    throw new BadRequest('body must be JSON');
  }
}

function routesFor(world: World): Record<string, Record<string, Route>> {
  const index = async (): Promise<[number, unknown]> => [
    200,
    {
      scenario: world.scenario,
      scenarios: SCENARIO_DESCRIPTIONS,
      endpoints: { sts: world.stsUrl, s3: world.s3Url, imds: world.imdsUrl, podIdentity: world.podIdentityUrl, issuer: world.issuerUrl },
      envFile: world.envFile,
      tokenFile: world.tokenFile,
      faults: world.faults(),
      routes: ['GET /scenario', 'POST /scenario {"name"}', 'GET /faults', 'POST /faults {knob: value}', 'POST /faults/reset', 'GET /stats', 'POST /stats/reset', 'POST /rotate', 'GET /env', 'GET /trust-policy?role=ARN', 'POST /trust-policy {"role", "policy"}'],
    },
  ];
  return {
    '/': { GET: index },
    '/scenario': {
      GET: async () => [200, { name: world.scenario }],
      POST: async (req) => {
        const { name } = ((await jsonBody(req)) ?? {}) as { name?: unknown };
        if (!isScenario(name)) throw new BadRequest(`unknown scenario ${JSON.stringify(name ?? null)}; known: ${SCENARIOS.join(', ')}`);
        await world.setScenario(name);
        return [200, { name: world.scenario, faults: world.faults() }];
      },
    },
    '/faults': {
      GET: async () => [200, world.faults()],
      POST: async (req) => {
        await world.setFault((await jsonBody(req)) as never);
        return [200, world.faults()];
      },
    },
    '/faults/reset': {
      POST: async (req) => {
        req.resume();
        await world.resetFaults();
        return [200, world.faults()];
      },
    },
    '/stats': { GET: async () => [200, world.stats()] },
    '/stats/reset': {
      POST: async (req) => {
        req.resume();
        world.resetStats();
        return [200, world.stats()];
      },
    },
    '/rotate': {
      POST: async (req) => {
        req.resume();
        await world.rotateToken();
        return [200, { rotated: world.tokenFile }];
      },
    },
    '/env': { GET: async () => [200, world.env] },
    '/trust-policy': {
      GET: async (req) => {
        req.resume();
        const role = requestUrl(req).searchParams.get('role') ?? undefined;
        return [200, { role, policy: world.trustPolicy(role as string) }];
      },
      POST: async (req) => {
        const { role, policy } = ((await jsonBody(req)) ?? {}) as { role?: unknown; policy?: unknown };
        world.setTrustPolicy(role as string, policy);
        return [200, { role, policy: world.trustPolicy(role as string) }];
      },
    },
  };
}
