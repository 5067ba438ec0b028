/**
 * The EKS Pod Identity agent call, with the SDK's own rules (fromHttp in
 * @aws-sdk/credential-provider-http: which URLs it accepts, the Authorization
 * header from the token file, the answer's shape) and what fromHttp lacks: an
 * abort signal. The check's timeout destroys the request and its socket
 * (agent: false, so no socket outlives its request), where fromHttp's request
 * timeout only logs a warning and a hung agent kept one socket per cycle.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readCapped } from './capped-handler.js';
import type { Credentials } from './checks/context.js';

/** What fromHttp accepts (its checkUrl): HTTPS, or loopback, or the ECS and EKS agent addresses. */
const AGENT_HOSTS = ['169.254.170.2', '169.254.170.23', '[fd00:ec2::23]'] as const;
const MAX_ANSWER_BYTES = 64 * 1024;

/** Why the SDK would refuse this agent URL, or undefined when it accepts it. */
export function agentUrlProblem(url: URL): string | undefined {
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:') return `it uses ${url.protocol}; the SDK accepts only http and https`;
  const host = url.hostname;
  if ((AGENT_HOSTS as readonly string[]).includes(host) || host === 'localhost' || host === '[::1]' || host === '[0000:0000:0000:0000:0000:0000:0000:0001]') return undefined;
  const parts = host.split('.');
  if (parts.length === 4 && parts[0] === '127' && parts.slice(1).every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return `plain http to ${host}: the SDK accepts http only for loopback (127.0.0.0/8, [::1]), the ECS host 169.254.170.2 and the EKS Pod Identity agent 169.254.170.23 or [fd00:ec2::23]; anything else must be https`;
}

class PodIdentityAgentError extends Error {
  override readonly name = 'PodIdentityAgentError';
  readonly $metadata: { httpStatusCode?: number };
  constructor(message: string, status?: number) {
    super(message);
    this.$metadata = status === undefined ? {} : { httpStatusCode: status };
  }
}

export interface AgentSource {
  readonly uri: string;
  /** The authorization token: the file's text as the token check read it, else AWS_CONTAINER_AUTHORIZATION_TOKEN (as the SDK does). */
  readonly token: string | undefined;
}

export async function agentCredentials(source: AgentSource, signal: AbortSignal): Promise<Credentials> {
  const url = new URL(source.uri);
  const problem = agentUrlProblem(url);
  if (problem !== undefined) throw new PodIdentityAgentError(`the SDK refuses AWS_CONTAINER_CREDENTIALS_FULL_URI: ${problem}`);
  const { token } = source;
  if (token?.includes('\r\n')) throw new PodIdentityAgentError('the authorization token contains a \\r\\n sequence');
  const answer = await get(url, token, signal);
  return parseAnswer(answer.status, answer.body);
}

function get(url: URL, authorization: string | undefined, signal: AbortSignal): Promise<{ status: number; body: string }> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'GET', agent: false, signal, headers: authorization === undefined ? {} : { Authorization: authorization } }, (res: IncomingMessage) => {
      const tooLarge = () => new PodIdentityAgentError(`the agent's answer is larger than ${MAX_ANSWER_BYTES} bytes`, res.statusCode);
      readCapped(res, MAX_ANSWER_BYTES, tooLarge).then((body) => resolve({ status: res.statusCode ?? 0, body: body.toString('utf8') }), reject);
    });
    req.once('error', reject);
    req.end();
  });
}

/** The SDK's reading of the answer: 200 with the four fields, or an error naming the status and the agent's Code/Message. */
function parseAnswer(status: number, body: string): Credentials {
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(body);
    if (value !== null && typeof value === 'object') parsed = value as Record<string, unknown>;
  } catch {
    // Not JSON: reported below by status or shape.
  }
  if (status !== 200) {
    const said = [parsed.Code, parsed.Message].filter((v): v is string => typeof v === 'string').join(': ');
    throw new PodIdentityAgentError(`the agent answered HTTP ${status}${said ? ` ${said}` : ''}`, status);
  }
  const { AccessKeyId, SecretAccessKey, Token, Expiration } = parsed;
  const expiration = typeof Expiration === 'string' ? new Date(Expiration) : undefined;
  if (typeof AccessKeyId !== 'string' || typeof SecretAccessKey !== 'string' || typeof Token !== 'string' || expiration === undefined || Number.isNaN(expiration.getTime())) {
    throw new PodIdentityAgentError('the agent answered 200 without AccessKeyId, SecretAccessKey, Token and an RFC 3339 Expiration', status);
  }
  return { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: Token, expiration };
}
