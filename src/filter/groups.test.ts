import { describe, expect, it } from 'vitest';
import { applyGroupPlan, mapTagName, planGroups } from './groups.js';

describe('group plans', () => {
  it('maps F-ID and F-PORT names', () => {
    expect(mapTagName('ID')).toBe('fid');
    expect(mapTagName('PORT')).toBe('fport');
    expect(mapTagName('USER')).toBe('user');
  });

  it('needs no plan without alt_/tuple_ groups', () => {
    expect(planGroups(['ip4', 'user'])).toBeNull();
  });

  it('alt_ values fill empty targets, in name order (alt_user1 would fill user1)', () => {
    const plan = planGroups(['user', 'alt_user_1', 'alt_user'])!;
    const g: Record<string, string | undefined> = { user: '', alt_user: undefined, alt_user_1: 'logname' };
    applyGroupPlan(plan, g);
    expect(g.user).toBe('logname');
    const h: Record<string, string | undefined> = { user: undefined, alt_user: 'ruser', alt_user_1: 'logname' };
    applyGroupPlan(plan, h);
    expect(h.user).toBe('ruser');
  });

  it('tuple_ values are combined', () => {
    const plan = planGroups(['fid', 'tuple_fid'])!;
    const g: Record<string, string | undefined> = { fid: 'a', tuple_fid: 'b' };
    applyGroupPlan(plan, g);
    expect(g.fid).toBe("('a', 'b')");
  });
});
