import type { Upstream } from '../upstream.js';
import type { Balancer } from './balancer.js';

/** Each upstream in turn. */
export class RoundRobinBalancer implements Balancer {
  private next = 0;

  pick(upstreams: readonly Upstream[]): Upstream {
    if (this.next >= upstreams.length) this.next = 0;
    return upstreams[this.next++] as Upstream;
  }
}
