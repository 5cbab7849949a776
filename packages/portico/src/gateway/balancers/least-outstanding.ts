import type { Upstream } from '../upstream.js';
import type { Balancer } from './balancer.js';

/**
 * The upstream with the fewest requests in flight; ties go round-robin, so an idle service still
 * spreads its traffic instead of always choosing the first instance.
 */
export class LeastOutstandingBalancer implements Balancer {
  private start = 0;

  pick(upstreams: readonly Upstream[]): Upstream {
    const count = upstreams.length;
    if (this.start >= count) this.start = 0;
    let best = upstreams[this.start] as Upstream;
    for (let i = 1; i < count; i++) {
      const candidate = upstreams[(this.start + i) % count] as Upstream;
      if (candidate.outstanding < best.outstanding) best = candidate;
    }
    this.start++;
    return best;
  }
}
