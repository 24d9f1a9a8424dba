import {
  Observable,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';

/**
 * The generated client has no timeout option, and a request to a hung API server would otherwise
 * wait forever. This middleware gives every request an AbortSignal that fires after `timeoutMs`;
 * the abort surfaces as a `TimeoutError`, which the classifier treats as transient. The client
 * chains middlewares as its own Observable stub, so this one must return those, not Promises.
 */
export function requestTimeout(timeoutMs: number): ObservableMiddleware {
  return {
    pre(context: RequestContext): Observable<RequestContext> {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return new Observable(Promise.resolve(context));
    },
    post(context: ResponseContext): Observable<ResponseContext> {
      return new Observable(Promise.resolve(context));
    },
  };
}
