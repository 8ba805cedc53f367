/** The five operations a permission string can grant (docs/api.md §4). */
export type Operation = 'create' | 'read' | 'update' | 'delete' | 'search';

const LETTERS: Record<string, Operation> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };
const PATTERN = /^([A-Za-z0-9*]+)\.([CRUDScruds]+)$/;

/**
 * A supplier's grants, parsed once from strings like `FLU.CRUDS`, `HPV.cud` or `*.CRUDS`
 * (vaccine type, a dot, any of the letters c r u d s in any case).
 */
export class PermissionSet {
  private readonly byType = new Map<string, Set<Operation>>();

  constructor(grants: string[]) {
    for (const grant of grants) {
      const m = PATTERN.exec(grant.trim());
      if (!m) throw new Error(`"${grant}" is not a permission (expected TYPE.LETTERS, e.g. FLU.CRUDS)`);
      const type = m[1] === '*' ? '*' : m[1].toUpperCase();
      const ops = this.byType.get(type) ?? new Set<Operation>();
      for (const letter of m[2].toLowerCase()) ops.add(LETTERS[letter]);
      this.byType.set(type, ops);
    }
  }

  allows(op: Operation, vaccineType: string): boolean {
    return (this.byType.get(vaccineType.toUpperCase())?.has(op) ?? false) || (this.byType.get('*')?.has(op) ?? false);
  }

  /** The subset of `types` this set allows `op` on, order kept. */
  filter(op: Operation, types: readonly string[]): string[] {
    return types.filter((t) => this.allows(op, t));
  }
}
