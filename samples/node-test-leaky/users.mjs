// A module-level cache that is never cleared.
export class CachedUser {
  constructor(id, name) {
    this.id = id;
    this.name = name;
  }
}

const userCache = new Map();

export function loadUser(id) {
  let user = userCache.get(id);
  if (!user) {
    user = new CachedUser(id, `user-${id}`);
    userCache.set(id, user);
  }
  return user;
}
