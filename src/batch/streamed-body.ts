import type { NextFunction, Request, RequestHandler, Response } from 'express';

export const BATCH_BASE_PATH = '/immunisation-fhir-api/batch';

/** A batch file upload: its body is streamed to storage by the route, never buffered by the body reader. */
export const isStreamedUpload = (req: Request) => req.method === 'PUT' && req.path.startsWith(`${BATCH_BASE_PATH}/files/`);

/** Runs `reader` (the app's body reader) for every request except batch file uploads. */
export function exceptStreamedUploads(reader: RequestHandler): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (isStreamedUpload(req)) {
      req.parsedBody = { kind: 'none' };
      return next();
    }
    return reader(req, res, next);
  };
}
