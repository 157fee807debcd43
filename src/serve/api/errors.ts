// HTTP errors with the status they map to; everything else the routes throw becomes a 500 with a
// generic message (details go to the server log, not to the client).
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export const notFound = (what = 'not found'): HttpError => new HttpError(404, what);
export const forbidden = (why = 'forbidden'): HttpError => new HttpError(403, why);
export const unauthorised = (): HttpError => new HttpError(401, 'sign in, or send Authorization: Bearer <organisation token>');
