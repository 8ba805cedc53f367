import { OK, issue, type Rule } from '../rule';
import { show } from '../json';

/** §1 / §7: the resource id belongs to the server on create and must match the URL on update. */
export const identityRules: Rule[] = [
  {
    id: 'immunization.id.absentOnCreate',
    section: '§1',
    check: ({ resource, mode }) =>
      mode === 'create' && resource.id !== undefined
        ? [
            issue(
              'immunization.id.absentOnCreate',
              'Immunization.id',
              'Immunization.id must not be sent on create: the server assigns the id',
            ),
          ]
        : OK,
  },
  {
    id: 'immunization.id.matchesPath',
    section: '§7',
    check: ({ resource, mode, pathId }) => {
      if (mode !== 'update' || resource.id === pathId) return OK;
      const what = resource.id === undefined ? 'is missing' : `is ${show(resource.id)}`;
      return [
        issue(
          'immunization.id.matchesPath',
          'Immunization.id',
          `Immunization.id must equal the id in the URL (${show(pathId)}) on update, but ${what}`,
        ),
      ];
    },
  },
];
