/**
 * Fault knobs for reliability tests: each one breaks one thing, independently
 * of the scenario. The effective behaviour is the scenario's own knobs with
 * the explicitly set ones on top.
 */

export const TOKEN_CONTENTS = ['valid', 'expired', 'garbage', 'empty', 'future-iat'] as const;
export type TokenContent = (typeof TOKEN_CONTENTS)[number];

export interface Faults {
  /** Every STS answer waits this long first. */
  stsDelayMs: number;
  /** STS accepts requests and never answers. */
  stsHang: boolean;
  /** STS closes its listener (connections refused); clearing it listens again on the same port. */
  stsRefuse: boolean;
  /** 0, or the 5xx status every STS call gets (500 InternalFailure, 503 ServiceUnavailable, other 5xx InternalFailure). */
  stsStatus: number;
  /** AssumeRoleWithWebIdentity answers IDPCommunicationError. */
  stsIdpError: boolean;
  /** This share (0..1) of STS calls answers 400 Throttling "Rate exceeded". */
  stsThrottleShare: number;
  /** The EKS Pod Identity agent closes its listener (connections refused); clearing it listens again on the same port. */
  podIdentityRefuse: boolean;
  /** Every S3 object operation answers 403 AccessDenied. */
  s3Deny: boolean;
  /** Every S3 request answers 404 NoSuchBucket. */
  s3NoBucket: boolean;
  /** This share (0..1) of S3 requests answers 500 InternalError. */
  s3FlakyShare: number;
  /** 'stopped': kubelet stops rotating the projected tokens. */
  tokenRotation: 'running' | 'stopped';
  /** What the token files hold: a valid token, an expired one, garbage, nothing, or one issued in the future. */
  tokenContent: TokenContent;
}

export const NO_FAULTS: Readonly<Faults> = Object.freeze({
  stsDelayMs: 0,
  stsHang: false,
  stsRefuse: false,
  stsStatus: 0,
  stsIdpError: false,
  stsThrottleShare: 0,
  podIdentityRefuse: false,
  s3Deny: false,
  s3NoBucket: false,
  s3FlakyShare: 0,
  tokenRotation: 'running',
  tokenContent: 'valid',
});

export class FaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultError';
  }
}

type Reader = (name: string, value: unknown) => unknown;

const bool: Reader = (name, value) => {
  if (typeof value === 'boolean') return value;
  throw new FaultError(`${name} must be true or false, got ${JSON.stringify(value)}`);
};
const share: Reader = (name, value) => {
  if (typeof value === 'number' && value >= 0 && value <= 1) return value;
  throw new FaultError(`${name} must be a number from 0 to 1, got ${JSON.stringify(value)}`);
};
const oneOf =
  (values: readonly string[]): Reader =>
  (name, value) => {
    if (typeof value === 'string' && values.includes(value)) return value;
    throw new FaultError(`${name} must be one of ${values.join(', ')}, got ${JSON.stringify(value)}`);
  };

const READERS: Record<keyof Faults, Reader> = {
  stsDelayMs: (name, value) => {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 600_000) return value;
    throw new FaultError(`${name} must be a whole number of milliseconds from 0 to 600000, got ${JSON.stringify(value)}`);
  },
  stsHang: bool,
  stsRefuse: bool,
  stsStatus: (name, value) => {
    if (value === 0 || (typeof value === 'number' && Number.isInteger(value) && value >= 500 && value <= 599)) return value;
    throw new FaultError(`${name} must be 0 (off) or a 5xx status, got ${JSON.stringify(value)}`);
  },
  stsIdpError: bool,
  stsThrottleShare: share,
  podIdentityRefuse: bool,
  s3Deny: bool,
  s3NoBucket: bool,
  s3FlakyShare: share,
  tokenRotation: oneOf(['running', 'stopped']),
  tokenContent: oneOf(TOKEN_CONTENTS),
};

/** Validates a partial set of knobs (from JSON); throws FaultError naming the bad knob. */
export function parseFaults(input: unknown): Partial<Faults> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new FaultError(`faults must be a JSON object of knobs (${Object.keys(READERS).join(', ')})`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    const read = READERS[name as keyof Faults];
    if (read === undefined) throw new FaultError(`unknown fault knob ${JSON.stringify(name)}; known: ${Object.keys(READERS).join(', ')}`);
    out[name] = read(name, value);
  }
  return out as Partial<Faults>;
}

/**
 * Decides which calls a share of failures hits: pseudo-random from a fixed
 * seed (mulberry32), so a run is reproducible, yet failures do not fall into
 * a fixed rhythm that could line up with a client's own call pattern (a
 * strict every-other-call pattern would hit the second call of every
 * two-call cycle).
 */
export class ShareGate {
  constructor(private state = 0x9e3779b9) {}

  hit(share: number): boolean {
    if (share <= 0) return false;
    if (share >= 1) return true;
    return this.next() < share;
  }

  private next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
