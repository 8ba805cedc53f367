import { PermissionSet } from './permissions';

describe('PermissionSet (docs/api.md §4 permission strings)', () => {
  it('grants exactly the letters given, per vaccine type, case-insensitively', () => {
    const p = new PermissionSet(['FLU.CRUDS', 'hpv.cud']);
    expect(p.allows('read', 'FLU')).toBe(true);
    expect(p.allows('search', 'FLU')).toBe(true);
    expect(p.allows('create', 'HPV')).toBe(true);
    expect(p.allows('read', 'HPV')).toBe(false);
    expect(p.allows('search', 'HPV')).toBe(false);
    expect(p.allows('create', 'COVID')).toBe(false);
  });

  it('*.LETTERS grants those letters on every vaccine type', () => {
    const p = new PermissionSet(['*.RS']);
    expect(p.allows('read', 'MMR')).toBe(true);
    expect(p.allows('create', 'MMR')).toBe(false);
  });

  it('filters a list of types to those allowed, keeping order', () => {
    expect(new PermissionSet(['MMR.S', 'FLU.S']).filter('search', ['FLU', 'COVID', 'MMR'])).toEqual(['FLU', 'MMR']);
  });

  it.each(['FLU', 'FLU.', 'FLU.X', '.CRUD', 'FLU CRUD'])('refuses the malformed grant %p', (g) => {
    expect(() => new PermissionSet([g])).toThrow(/not a permission/);
  });
});
