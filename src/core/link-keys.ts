// The values that join records of different logs: Exchange's front end gives every request a
// RequestId (HttpProxy logs) and hands it to IIS as `cafeReqId` in the logged query; the control
// panel's session token `msExchEcpCanary` travels in the URL seen by HttpProxy, IIS and the ECP
// Server log (helsecert 2021-march-exchange; shared/reference/exchange-logs.md).

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const CAFE_REQ_ID = /cafeReqId=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i;
const CANARY = /msExchEcpCanary=([A-Za-z0-9_.\-]{8,200})/;
// DateTime,RequestId,… — the start of an HttpProxy / Rps_Http line.
const LEADING_REQUEST_ID = /^[0-9T:.\-Z]{10,40},([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}),/i;

/** An Exchange log's RequestId field value, lower-cased, when it is a GUID. */
export function requestIdField(value: string | undefined): string | undefined {
  return value && GUID.test(value) && value.length === 36 ? value.toLowerCase() : undefined;
}

/** The request id a log line carries: IIS `cafeReqId=` in the query, or an HttpProxy line's RequestId. */
export function requestIdInLine(line: string): string | undefined {
  const cafe = CAFE_REQ_ID.exec(line);
  if (cafe) return cafe[1]!.toLowerCase();
  const lead = LEADING_REQUEST_ID.exec(line);
  return lead ? lead[1]!.toLowerCase() : undefined;
}

/** The ECP session canary in a line (URL query, AnchorMailbox or ECP Server `S:URL=`). */
export function canaryInLine(line: string): string | undefined {
  return CANARY.exec(line)?.[1];
}
