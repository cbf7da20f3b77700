// Types for the two undici files http-transport.ts loads directly instead of undici's index.
// undici has no "exports" map, so these paths are part of what the package ships; the types are
// undici's own (the same classes the index re-exports).
declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';
  export default Agent;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';

  /** undici's `Dispatcher.prototype.request`, called with the dispatcher as `this`. */
  const request: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
  export default request;
}
