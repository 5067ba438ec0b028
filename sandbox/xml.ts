/**
 * XML for the STS query protocol, built with fast-xml-parser's XMLBuilder
 * (which escapes text), never by concatenating request input.
 */
import { randomUUID } from 'node:crypto';
import { XMLBuilder } from 'fast-xml-parser';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });

export function buildXml(document: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(document) as string}`;
}

export function requestId(): string {
  return randomUUID();
}

/** `<XResponse><XResult>…</XResult><ResponseMetadata><RequestId>` */
export function stsResponse(action: string, result: Record<string, unknown>, id: string): string {
  return buildXml({
    [`${action}Response`]: {
      '@_xmlns': STS_NAMESPACE,
      [`${action}Result`]: result,
      ResponseMetadata: { RequestId: id },
    },
  });
}

/** `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>` */
export function stsError(type: 'Sender' | 'Receiver', code: string, message: string, id: string): string {
  return buildXml({ ErrorResponse: { '@_xmlns': STS_NAMESPACE, Error: { Type: type, Code: code, Message: message }, RequestId: id } });
}

/** S3's `<Error><Code/><Message/>…<RequestId/></Error>`. */
export function s3Error(code: string, message: string, extra: Record<string, string>, id: string): string {
  return buildXml({ Error: { Code: code, Message: message, ...extra, RequestId: id, HostId: Buffer.from(id).toString('base64') } });
}
