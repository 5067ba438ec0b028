/**
 * STS's error answers: the codes, HTTP statuses and messages AWS uses
 * (DESIGN.md §5). One factory per error, so every emulator path answers the
 * same text for the same failure.
 */

export class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
    this.name = 'StsError';
  }
}

/** Request input quoted in a message is cut short, as AWS does. */
function quote(value: string): string {
  return value.length > 128 ? `${value.slice(0, 128)}...` : value;
}

export const stsErrors = {
  noProvider: (iss: string) => new StsError(400, 'InvalidIdentityToken', `No OpenIDConnect provider found in your account for ${quote(iss)}`),
  badAudience: () => new StsError(400, 'InvalidIdentityToken', 'Incorrect token audience'),
  badThumbprint: () => new StsError(400, 'InvalidIdentityToken', "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"),
  keysUnavailable: () => new StsError(400, 'InvalidIdentityToken', "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"),
  notAJwt: () => new StsError(400, 'InvalidIdentityToken', 'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)'),
  badTokenSignature: () => new StsError(400, 'InvalidIdentityToken', 'Token signature is invalid'),
  tokenNotYetValid: () => new StsError(400, 'InvalidIdentityToken', 'Token used before issued'),
  idpUnreachable: () => new StsError(400, 'IDPCommunicationError', 'The request could not be fulfilled because the identity provider (IDP) that was asked to verify the incoming identity token could not be reached. Retry the request a limited number of times and wait between attempts.'),
  tokenExpired: (nowS: number, expS: number) => new StsError(400, 'ExpiredTokenException', `Token expired: current date/time ${nowS} must be before the expiration date/time ${expS}`),
  notAuthorized: () => new StsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity'),
  badArn: () => new StsError(400, 'ValidationError', 'Request ARN is invalid'),
  validation: (problems: readonly string[]) =>
    new StsError(400, 'ValidationError', `${problems.length} validation error${problems.length === 1 ? '' : 's'} detected: ${problems.join('; ')}`),
  durationTooLong: () => new StsError(400, 'ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.'),
  missingParameter: (name: string) => new StsError(400, 'MissingParameter', `The request must contain the parameter ${name}`),
  missingAction: () => new StsError(400, 'MissingAction', 'The request must contain the parameter Action'),
  invalidAction: (action: string, version: string) => new StsError(400, 'InvalidAction', `Could not find operation ${quote(action)} for version ${quote(version)}`),
  tooLarge: (limit: number) => new StsError(413, 'RequestEntityTooLarge', `Request body exceeds the ${limit} byte limit`),
  throttled: () => new StsError(400, 'Throttling', 'Rate exceeded'),
  unavailable: () => new StsError(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.', 'Receiver'),
  internal: (status = 500) => new StsError(status, 'InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 'Receiver'),
  // Signed requests (GetCallerIdentity).
  missingAuth: () => new StsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token'),
  incompleteSignature: (detail: string) => new StsError(400, 'IncompleteSignature', detail),
  invalidClientToken: () => new StsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.'),
  signatureMismatch: () =>
    new StsError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'),
  wrongRegion: (region: string) => new StsError(403, 'SignatureDoesNotMatch', `Credential should be scoped to a valid region, not '${quote(region)}'. `),
  wrongService: () => new StsError(403, 'SignatureDoesNotMatch', "Credential should be scoped to correct service: 'sts'. "),
  signatureExpired: (amzDate: string) => new StsError(403, 'SignatureDoesNotMatch', `Signature expired: ${quote(amzDate)} is now earlier than the current time minus 15 min.`),
  expiredCredentials: () => new StsError(403, 'ExpiredToken', 'The security token included in the request is expired'),
};
