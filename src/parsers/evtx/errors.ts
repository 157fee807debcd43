// The one error type of the EVTX parser: anything malformed in a chunk, record or template. It is
// always caught at the record or chunk that caused it and becomes an entry in errors[].
export class EvtxFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvtxFormatError';
  }
}
