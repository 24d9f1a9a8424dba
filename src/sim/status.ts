import { qualifiedResource, type ResourceType } from './resources.ts';

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A meta/v1 Status as the API server writes it in error responses and watch ERROR events. */
export interface ApiStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** Thrown by request handlers; the server turns it into the HTTP response carrying `status`. */
export class ApiError extends Error {
  readonly status: ApiStatus;

  constructor(status: ApiStatus) {
    super(status.message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export function failure(code: number, reason: string, message: string, details?: StatusDetails): ApiStatus {
  // Field order as the API server writes it: details come before code.
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

function resourceDetails(type: ResourceType, name: string): StatusDetails {
  return type.group === '' ? { name, kind: type.resource } : { name, group: type.group, kind: type.resource };
}

export function notFound(type: ResourceType, name: string): ApiError {
  return new ApiError(
    failure(404, 'NotFound', `${qualifiedResource(type)} "${name}" not found`, resourceDetails(type, name)),
  );
}

export function alreadyExists(type: ResourceType, name: string): ApiError {
  return new ApiError(
    failure(409, 'AlreadyExists', `${qualifiedResource(type)} "${name}" already exists`, resourceDetails(type, name)),
  );
}

/** 422 with one cause per field problem; the message lists them the way apimachinery does. */
export function invalid(type: ResourceType, name: string, causes: StatusCause[]): ApiError {
  const kind = type.group === '' ? type.kind : `${type.kind}.${type.group}`;
  const parts = causes.map((cause) => `${cause.field}: ${cause.message}`);
  const listed = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  const details: StatusDetails = { name, kind: type.kind, causes };
  if (type.group !== '') details.group = type.group;
  return new ApiError(failure(422, 'Invalid', `${kind} "${name}" is invalid: ${listed}`, details));
}

export function badRequest(message: string): ApiError {
  return new ApiError(failure(400, 'BadRequest', message));
}

/** A body in a media type the simulation cannot decode (it speaks JSON only, not protobuf or CBOR). */
export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format (${contentType}) - accepted media types include: application/json; ` +
        'the simulated cluster cannot decode protobuf: use `kubectl create -f` / `kubectl apply -f` with a YAML or JSON manifest',
    ),
  );
}

export function forbidden(type: ResourceType, name: string, message: string): ApiError {
  return new ApiError(
    failure(
      403,
      'Forbidden',
      `${qualifiedResource(type)} "${name}" is forbidden: ${message}`,
      resourceDetails(type, name),
    ),
  );
}

export function methodNotSupported(type: ResourceType, verb: string): ApiError {
  return new ApiError(
    failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, {
      kind: type.resource,
      ...(type.group === '' ? {} : { group: type.group }),
      causes: [
        { reason: 'UnexpectedServerResponse', message: `verb ${verb} is not served by the simulation`, field: '' },
      ],
    }),
  );
}

export function pathNotFound(): ApiError {
  return new ApiError(failure(404, 'NotFound', 'the server could not find the requested resource', { causes: [] }));
}

/** What a watch from a compacted resourceVersion receives, as an ERROR event. */
export function expired(requested: string, oldest: number): ApiStatus {
  return failure(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}
