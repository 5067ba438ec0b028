#!/usr/bin/env node
/**
 * Who the AWS SDK for JavaScript says this process is, through its own
 * credential providers and its own reading of the environment (region,
 * AWS_ENDPOINT_URL_STS, ...):
 *
 *   set -a; . sandbox.env; set +a
 *   node dist/sandbox/whoami.js [--provider chain|token-file]
 *
 * `chain` is fromNodeProviderChain() (what an application gets), `token-file`
 * is fromTokenFile() (IRSA only). Prints one JSON line {provider, arn, account,
 * userId}; exits 1 with {provider, error, message} when the SDK fails.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain, fromTokenFile } from '@aws-sdk/credential-providers';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { provider: { type: 'string', default: 'chain' } }, strict: true });
const provider = values.provider;
if (provider !== 'chain' && provider !== 'token-file') {
  process.stderr.write(`whoami: --provider=${JSON.stringify(provider)} is invalid: expected chain or token-file\n`);
  process.exit(2);
}

try {
  // The region comes from AWS_REGION: fromTokenFile's own STS client is given it, as an application's SDK does.
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const credentials = provider === 'chain' ? fromNodeProviderChain({ clientConfig: { region } }) : fromTokenFile({ clientConfig: { region } });
  const sts = new STSClient({ credentials });
  const out = await sts.send(new GetCallerIdentityCommand({}));
  process.stdout.write(`${JSON.stringify({ provider, arn: out.Arn, account: out.Account, userId: out.UserId })}\n`);
} catch (error) {
  const e = error as Error;
  process.stdout.write(`${JSON.stringify({ provider, error: e.name, message: e.message })}\n`);
  process.exit(1);
}
