import { describe, expect, it } from 'vitest';
import { traceIdOf } from './trace-id.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('traceIdOf', () => {
  it('reads the trace id of a valid traceparent, whatever its flags', () => {
    expect(traceIdOf(`00-${TRACE_ID}-00f067aa0ba902b7-01`)).toBe(TRACE_ID);
    expect(traceIdOf(`00-${TRACE_ID}-00f067aa0ba902b7-00`)).toBe(TRACE_ID);
  });

  it.each([
    ['absent', undefined],
    ['repeated', [`00-${TRACE_ID}-00f067aa0ba902b7-01`, `00-${TRACE_ID}-00f067aa0ba902b7-01`]],
    ['garbage', 'not-a-traceparent'],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero span id', `00-${TRACE_ID}-0000000000000000-01`],
    ['upper case', `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01`],
    ['version ff', `ff-${TRACE_ID}-00f067aa0ba902b7-01`],
    ['version 00 with extra fields', `00-${TRACE_ID}-00f067aa0ba902b7-01-extra`],
  ])('gives none for a traceparent that is %s', (_name, header) => {
    expect(traceIdOf(header)).toBeUndefined();
  });
});
