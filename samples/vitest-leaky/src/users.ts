// A module-level cache that is never cleared: every user ever loaded stays in memory.
export class CachedUser {
  constructor(
    readonly id: number,
    readonly name: string,
    readonly roles: string[],
  ) {}
}

const userCache = new Map<number, CachedUser>();

export function loadUser(id: number): CachedUser {
  let user = userCache.get(id);
  if (!user) {
    user = new CachedUser(id, `user-${id}`, ["reader"]);
    userCache.set(id, user);
  }
  return user;
}
