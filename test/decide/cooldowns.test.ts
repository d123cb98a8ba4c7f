import { describe, expect, it } from 'vitest';
import { cooldownFate } from '../../src/decide/cooldowns.js';
import type { OfferHistory } from '../../src/state/types.js';
import { DAY, T0 } from '../support/events.js';
import { offer, ruleSet } from '../support/rules.js';

const declinedAt = (t: number): OfferHistory =>
  ({
    counts: { offered: 1, impression: 0, accepted: 0, declined: 1, redeemed: 0 },
    lastAt: { offered: t - DAY, declined: t },
    recent: {},
    lastOutcome: 'declined',
    lastOutcomeAt: t,
  }) as OfferHistory;

describe('cooldowns', () => {
  const { offers } = ruleSet({ offers: [offer('rest', { cooldown: { declined: '30d' } }), offer('calm')] });
  const rest = offers.find((o) => o.id === 'rest');
  const calm = offers.find((o) => o.id === 'calm');

  it('runs from the outcome for its window, and says when it ends', () => {
    expect(cooldownFate(rest!, declinedAt(T0), T0 + 29 * DAY)).toEqual({
      status: 'cooldown',
      cooldown: { outcome: 'declined', window: '30d', until: new Date(T0 + 30 * DAY).toISOString() },
    });
  });

  it('ends exactly when its window has passed', () => {
    expect(cooldownFate(rest!, declinedAt(T0), T0 + 30 * DAY - 1)).not.toBeNull();
    expect(cooldownFate(rest!, declinedAt(T0), T0 + 30 * DAY)).toBeNull();
  });

  it('needs its own outcome: other outcomes, no history, or no cooldown start none', () => {
    expect(cooldownFate(rest!, undefined, T0)).toBeNull();
    const offeredOnly = { ...declinedAt(T0), lastAt: { offered: T0 } } as OfferHistory;
    expect(cooldownFate(rest!, offeredOnly, T0)).toBeNull();
    expect(cooldownFate(calm!, declinedAt(T0), T0)).toBeNull();
  });
});
